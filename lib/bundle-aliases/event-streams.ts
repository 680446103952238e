import { leftOut } from './left-out.js';

/**
 * Stands in for `@smithy/core/event-streams`, which the protocol imports lazily, and only for
 * operations with event-stream payloads. DynamoDB has none, so evaluating this module (which makes
 * that lazy import reject) means something changed.
 */
leftOut('@smithy/core/event-streams', 'DynamoDB has no event-stream operations');
