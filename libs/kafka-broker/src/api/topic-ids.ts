import { createHash } from 'crypto';

/**
 * The log does not keep topic ids, so Metadata v10+ and CreateTopics v7 give each topic a stable id
 * derived from its name (a name-based UUID, version 5 style). A topic deleted and re-created under
 * the same name gets the same id; no client we serve relies on the difference.
 */
const cache = new Map<string, Buffer>();

export function topicIdFor(name: string): Buffer {
  let id = cache.get(name);
  if (!id) {
    id = createHash('sha1').update('upshift-topic:').update(name).digest().subarray(0, 16);
    id[6] = (id[6] & 0x0f) | 0x50;
    id[8] = (id[8] & 0x3f) | 0x80;
    cache.set(name, id);
  }
  return id;
}

export const ZERO_TOPIC_ID = Buffer.alloc(16);

/** Topic names Kafka accepts: 1–249 of [a-zA-Z0-9._-], not "." or "..". */
export function invalidTopicNameReason(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name.length > 249) return 'topic name is longer than 249 characters';
  if (name === '.' || name === '..') return 'topic name cannot be "." or ".."';
  if (!/^[a-zA-Z0-9._-]+$/.test(name))
    return `topic name "${name}" may only contain ASCII letters, digits, ".", "_" and "-"`;
  return null;
}
