import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from '../../aggregation/errors.js';
import { DropReason } from '../../aggregation/secagg/index.js';
import { MembershipError } from '../membership.js';

/** A failure the service reports to the caller as a gRPC status. */
export class StatusError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/** The one place errors become status codes; anything unexpected is INTERNAL and logged by the caller. */
export function toStatus(error: unknown): { code: grpc.status; details: string } {
  if (error instanceof StatusError) return { code: error.code, details: error.message };
  if (error instanceof InvalidArgumentError)
    return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  if (error instanceof MembershipError) {
    const code =
      error.code === 'unauthenticated' ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED;
    return { code, details: error.message };
  }
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}

/** The status for a member the secure-aggregation core just dropped because of the call it made. */
export function dropStatus(reason: DropReason, detail: string): StatusError {
  const code =
    reason === DropReason.UnexpectedMessage ? grpc.status.FAILED_PRECONDITION : grpc.status.INVALID_ARGUMENT;
  return new StatusError(code, `${DropReason[reason]}: ${detail}`);
}
