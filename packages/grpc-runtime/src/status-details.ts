import { type googleProtobufAny, googleRpc, googleRpcStatus } from '@tessera/contracts';

/** The ErrorInfo domain of every tessera error. */
export const ERROR_DOMAIN = 'tessera.dev';

/** Trailer holding the serialized google.rpc.Status (the gRPC rich error model). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** Plain trailer with the reason, for clients that do not parse status details. */
export const ERROR_REASON_KEY = 'tessera-error-reason';

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const ERROR_INFO_TYPE = 'google.rpc.ErrorInfo';
const BAD_REQUEST_TYPE = 'google.rpc.BadRequest';

/** What an error tells the caller beyond its status code. */
export interface ErrorDetails {
  readonly code: number;
  readonly message: string;
  readonly reason: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** The request field at fault; adds a google.rpc.BadRequest violation. */
  readonly field?: string | undefined;
}

/** Serializes `google.rpc.Status { code, message, details: [ErrorInfo, BadRequest?] }`. */
export function encodeStatusDetails(details: ErrorDetails): Buffer {
  const errorInfo = googleRpc.ErrorInfo.encode({
    reason: details.reason,
    domain: ERROR_DOMAIN,
    metadata: { ...details.metadata },
  }).finish();
  const anys: googleProtobufAny.Any[] = [
    { typeUrl: TYPE_URL_PREFIX + ERROR_INFO_TYPE, value: Buffer.from(errorInfo) },
  ];
  if (details.field !== undefined) {
    const badRequest = googleRpc.BadRequest.encode({
      fieldViolations: [
        { field: details.field, description: details.message, reason: details.reason },
      ],
    }).finish();
    anys.push({ typeUrl: TYPE_URL_PREFIX + BAD_REQUEST_TYPE, value: Buffer.from(badRequest) });
  }
  const encoded = googleRpcStatus.Status.encode({
    code: details.code,
    message: details.message,
    details: anys,
  }).finish();
  return Buffer.from(encoded);
}

/** The parts of a google.rpc.Status that tessera reads back. */
export interface DecodedStatusDetails {
  readonly code: number;
  readonly message: string;
  readonly errorInfo: googleRpc.ErrorInfo | undefined;
  readonly badRequest: googleRpc.BadRequest | undefined;
}

/** Parses a serialized google.rpc.Status; throws on bytes that are not one. */
export function decodeStatusDetails(bytes: Uint8Array): DecodedStatusDetails {
  const decoded = googleRpcStatus.Status.decode(bytes);
  let errorInfo: googleRpc.ErrorInfo | undefined;
  let badRequest: googleRpc.BadRequest | undefined;
  for (const any of decoded.details) {
    // Type URLs may carry any prefix; only the name after the last slash identifies the type.
    const typeName = any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1);
    if (typeName === ERROR_INFO_TYPE && errorInfo === undefined) {
      errorInfo = googleRpc.ErrorInfo.decode(any.value);
    } else if (typeName === BAD_REQUEST_TYPE && badRequest === undefined) {
      badRequest = googleRpc.BadRequest.decode(any.value);
    }
  }
  return { code: decoded.code, message: decoded.message, errorInfo, badRequest };
}
