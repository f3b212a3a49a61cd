/**
 * Errors raised by aggregation/. Each carries the name of the offending field so that the gRPC
 * edge can map it to INVALID_ARGUMENT / FAILED_PRECONDITION with a message a caller can act on.
 */

/** A caller passed a value outside what the function accepts (wrong length, NaN, bad range…). */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A combination of parameters that would make the computation unsafe or wrong (e.g. modular wrap-around). */
export class UnsafeParametersError extends Error {
  override readonly name = 'UnsafeParametersError';
  constructor(message: string) {
    super(message);
  }
}
