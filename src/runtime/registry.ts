/** ConnectionUsers, ConnectionHooks, RetryOptions moved to src/model/connection-users.ts (below the runtime); re-exported here for the node glue. */
export { ConnectionUsers, type ConnectionHooks, type ConnectionUser, type RetryOptions } from '../model/connection-users';
