import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Problem, PROBLEM_CONTENT_TYPE } from '../problem.js';
import { sendProblem } from './problem-details.filter.js';

/** What Node's HTTP parser could not accept, in words a client can act on. */
const PARSER_DETAIL: Record<string, string> = {
  HPE_INVALID_METHOD: 'Unknown HTTP method',
  HPE_INVALID_CONTENT_LENGTH: 'Invalid Content-Length header',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length and Transfer-Encoding must not both be sent',
  HPE_INVALID_TRANSFER_ENCODING: 'Invalid Transfer-Encoding header',
  HPE_HEADER_OVERFLOW: 'Request headers are too large',
  ERR_HTTP_REQUEST_TIMEOUT: 'The request took too long to arrive',
};

const REQUEST_LINE = /^[!-~]{1,32} (\/[!-~]{0,2047}) HTTP\/1\.[01]\r\n/;

/**
 * Node's HTTP parser refused the request before Fastify saw it (an unknown
 * method, a bad Content-Length, headers too large, a timeout). Fastify would
 * answer in its own `{error, message, statusCode}` shape; this writes the
 * one problem body every other error has, then closes the connection,
 * whose remaining bytes cannot be trusted.
 */
export function clientErrorHandler(
  error: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 408
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : 400;
  const requestId = randomUUID();
  const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1') : '';
  const target = REQUEST_LINE.exec(raw)?.[1];
  const problem: Problem = {
    type: 'about:blank',
    title: STATUS_CODES[status]!,
    status,
    detail: PARSER_DETAIL[error.code ?? ''] ?? 'Malformed HTTP request',
    ...(target ? { instance: target.split('?')[0] } : {}),
    requestId,
  };
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${problem.title}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}

/**
 * Errors Fastify raises while routing, before any hook runs: a URL that is
 * not valid percent-encoding (400), a path parameter over the length limit
 * (414). Answered like any other error.
 */
export function frameworkErrors(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  // No hook has run yet, so the id the onSend hook would add is set here.
  void reply.header('x-request-id', request.id);
  sendProblem(reply, error, request);
}
