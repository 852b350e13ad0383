/** Serving a trained run over HTTP. */
export { HttpError, startServer, statusOf, type ModelServer, type ServeOptions } from './server.js';
export { openApiDocument, type OpenApiLimits } from './openapi.js';
export { MultipartError, multipartBoundary, parseMultipart, type FormPart } from './multipart.js';
