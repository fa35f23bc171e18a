import { type ErrorBody, GatehouseError, truncateText, zodIssuesToDetails } from '@gatehouse/protocol';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { rawBodyConfigOf } from './raw-body';

export function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.status(status).type('application/json').send(body);
}

/** Fastify's own error codes mapped to ours, so framework failures keep the documented shape. */
const FASTIFY_CODES: Record<string, { status: number; code: GatehouseError['code']; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', message: 'Body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', message: 'Body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Send JSON with Content-Type: application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'VALIDATION_FAILED', message: 'Invalid Content-Length' },
};

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof GatehouseError) {
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      // A busy, unreachable or full store: devices back off and retry (exactly-once makes that safe).
      else if (error.status === 503) reply.header('retry-after', '1');
      if (error.status >= 500) request.log.warn({ err: error }, 'answered 5xx');
      return sendError(reply, error.status, error.toBody());
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((issue) => ({
        path: [error.validationContext, ...String(issue.instancePath).split('/').filter(Boolean)]
          .filter(Boolean)
          .join('.'),
        message: issue.message ?? 'invalid',
      }));
      return sendError(reply, 400, {
        error: { code: 'VALIDATION_FAILED', message: 'Request is invalid', details: details.slice(0, 20) },
      });
    }
    if (error.validation) {
      return sendError(reply, 400, {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'Request is invalid',
          details: error.validation.slice(0, 20).map((issue) => ({ message: issue.message ?? 'invalid' })),
        },
      });
    }
    // A bytes route (an image upload) names its own refusals of a body of the wrong type or size.
    const raw = rawBodyConfigOf(request);
    const refusal =
      raw && error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? raw.wrongType()
        : raw && error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? raw.tooLarge()
          : null;
    if (refusal) return sendError(reply, refusal.status, refusal.toBody());
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return sendError(reply, known.status, { error: { code: known.code, message: known.message } });
    if (error.statusCode === 429) {
      return sendError(reply, 429, { error: { code: 'RATE_LIMITED', message: 'Too many requests; retry later' } });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: zodIssuesToDetails(error.cause.issues) }, 'response failed its schema');
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, error.statusCode, {
        error: { code: error.statusCode === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', message: error.message },
      });
    } else {
      request.log.error({ err: error }, 'unhandled error');
    }
    return sendError(reply, 500, { error: { code: 'INTERNAL', message: 'Something went wrong on the server' } });
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, {
      error: {
        code: 'NOT_FOUND',
        message: `No route ${request.method} ${truncateText(request.url.split('?')[0] ?? '', 200)}`,
      },
    }),
  );
}
