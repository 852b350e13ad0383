/**
 * The synthetic vocal-burst corpus: a generative model of bursts, affect and
 * speakers, rendered to audio and written in the A-VB or ExVo layout. See
 * README.md in this folder for what drives what and how noisy it is.
 */
export { writeSyntheticCorpus, SYNTH_VERSION, type SynthCorpusOptions, type SynthSummary, type SplitCounts } from './write-corpus.js';
export { generateSyntheticLatents, type SynthClip, type SynthCorpusLatents } from './corpus-latents.js';
export { renderClip, clipFileAudio, type RenderedClip, type ClipFileAudio } from './render-clip.js';
export { SYNTH_DEFAULTS, resolveSynthOptions, type SynthGenerationOptions, type ResolvedSynthOptions, type SplitFractions } from './options.js';
export type { SynthClipLatent } from './clip-latent.js';
export type { SynthClipLabels } from './labels.js';
export type { SynthSpeaker } from './speakers.js';
export type { VoiceControls } from './voice-controls.js';
export type { SynthLayoutName } from './layout.js';
export { expectedCultureRatings, CULTURE_TRANSFORMS, IN_GROUP_BOOST } from './culture.js';
export { LABEL_NOISE, LATENT_NOISE, CHANNEL, AUDIO, TYPE_PRIOR, COUNTRY_PRIOR, TYPE_EMOTION_MEANS } from './model-tables.js';
