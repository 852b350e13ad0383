/** Ensembles of runs: averaging raw predictions, writing them, scoring them. */
export { EnsembleError, type EnsembledPredictions, combinePredictions } from './combine-predictions.js';
export { RAW_PREDICTIONS_FILE, resolvePredictionsFile, runPredictionsFile } from './prediction-sources.js';
export { type PredictionScore, scorePredictions } from './score-predictions.js';
export { type EnsembleCorpus, type EnsembleOptions, type EnsembleResult, runEnsemble } from './run-ensemble.js';
