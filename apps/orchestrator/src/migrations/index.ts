import { ExecutionTables1760000000000 } from './1760000000000-execution-tables';
import { MessagingTables1760000000001 } from './1760000000001-messaging-tables';
import { RegistrySync1760000000002 } from './1760000000002-registry-sync';
import { AuditLog1760000000003 } from './1760000000003-audit-log';
import { DropProcessedMessages1760000000004 } from './1760000000004-drop-processed-messages';
import { OneCommandPerAttempt1760000000005 } from './1760000000005-one-command-per-attempt';
import { OutboxProgressIndex1760000000006 } from './1760000000006-outbox-progress-index';
import { InstanceOutOfSupport1760000000007 } from './1760000000007-instance-out-of-support';

/** Every migration, in order (listed explicitly so that bundling and SWC need no glob loading). */
export const MIGRATIONS = [
  ExecutionTables1760000000000,
  MessagingTables1760000000001,
  RegistrySync1760000000002,
  AuditLog1760000000003,
  DropProcessedMessages1760000000004,
  OneCommandPerAttempt1760000000005,
  OutboxProgressIndex1760000000006,
  InstanceOutOfSupport1760000000007,
];
