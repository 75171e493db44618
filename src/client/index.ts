/** The public API of the taskwire client library. */

export { TypedEmitter } from '../events/emitter.ts';
export {
  AddressError,
  formatAddress,
  parseAddressList,
  type ServerAddress,
} from './address.ts';
export {
  Client,
  type ClientEvents,
  type ClientOptions,
  connect,
  type ParamsArgs,
  type RetryManyOptions,
  type SubmitOptions,
  type SubmitResult,
  type WaitOptions,
} from './client.ts';
export {
  AuthError,
  ClientClosedError,
  ConnectError,
  ConnectionLostError,
  ForbiddenError,
  RpcError,
  TaskPrunedError,
  TlsError,
} from './errors.ts';
export type { ClientTlsOptions } from './options.ts';
