// Multipart uploads for POST (and PUT) /v1/documents: the file comes in a part named `file`, read as a
// stream by @fastify/multipart and cut off at ENGRAM_MAX_DOCUMENT_BYTES (413, nothing stored);
// text fields `title`, `namespace`, `key`, `mimeType` and `metadata` (a JSON object) ride along. The
// upload becomes the same body a JSON client sends with contentBase64, so one schema validates
// both and one code path submits them.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, errorMessage } from '../../domain/errors.js';
import { findInputProblem } from '../../domain/input-problems.js';

const TEXT_FIELDS = new Set(['title', 'namespace', 'mimeType', 'metadata', 'key']);
const MAX_FIELD_BYTES = 64 * 1024;

export async function registerDocumentUploads(
  app: FastifyInstance,
  maxDocumentBytes: number,
): Promise<void> {
  await app.register(multipart, {
    limits: {
      fileSize: maxDocumentBytes,
      files: 1,
      fields: TEXT_FIELDS.size,
      fieldSize: MAX_FIELD_BYTES,
      parts: TEXT_FIELDS.size + 1,
    },
  });
}

/** Reads a multipart request into the JSON body shape; throws a 4xx AppError on a bad upload. */
export async function readUpload(
  request: FastifyRequest,
  maxDocumentBytes: number,
): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  let file: { bytes: Buffer; name: string } | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw new AppError(
            'VALIDATION_FAILED',
            `The upload has a file part named "${part.fieldname}"; name it "file".`,
          );
        }
        file = { bytes: await part.toBuffer(), name: part.filename };
      } else if (TEXT_FIELDS.has(part.fieldname) && typeof part.value === 'string') {
        body[part.fieldname] = part.value;
      } else {
        throw new AppError(
          'VALIDATION_FAILED',
          `The upload has an unknown field "${part.fieldname}"; send only file, ${[...TEXT_FIELDS].join(', ')}.`,
        );
      }
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError(
        'INPUT_TOO_LARGE',
        `The uploaded file is larger than ${maxDocumentBytes} bytes (ENGRAM_MAX_DOCUMENT_BYTES). Split it into smaller documents.`,
        { details: { limit: maxDocumentBytes } },
      );
    }
    throw new AppError(
      'VALIDATION_FAILED',
      `The upload could not be read: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  if (file === undefined) {
    throw new AppError(
      'VALIDATION_FAILED',
      'The upload has no part named "file"; attach the document there.',
    );
  }
  if (typeof body.metadata === 'string') {
    try {
      body.metadata = JSON.parse(body.metadata);
    } catch {
      throw new AppError('VALIDATION_FAILED', 'The "metadata" field must be a JSON object.');
    }
  }
  const problem = findInputProblem(body, 'body');
  if (problem !== undefined) throw new AppError('INVALID_INPUT', problem);
  if (body.title === undefined && file.name !== '') body.title = file.name;
  body.contentBase64 = file.bytes.toString('base64');
  return body;
}
