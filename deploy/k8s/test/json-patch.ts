/**
 * The part of RFC 6902 (JSON Patch) that the overlays' `patches` use: add, replace and remove, with
 * RFC 6901 pointers (`~1` is `/`, `~0` is `~`; `-` appends to an array). An op kustomize would refuse
 * (a missing parent, an index out of range, an unknown op) is refused here too, never skipped.
 */
export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

type Container = Record<string, unknown> | unknown[];

function tokens(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer ${pointer} must start with /`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function child(container: Container, token: string, pointer: string): unknown {
  const value = Array.isArray(container)
    ? container[arrayIndex(container, token, pointer, false)]
    : container[token];
  if (value === undefined) throw new Error(`JSON patch: ${pointer} does not exist`);
  return value;
}

function arrayIndex(array: unknown[], token: string, pointer: string, forAdd: boolean): number {
  if (forAdd && token === '-') return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token))
    throw new Error(`JSON patch: ${token} in ${pointer} is not an array index`);
  const index = Number(token);
  if (index > array.length || (!forAdd && index === array.length))
    throw new Error(`JSON patch: index ${index} in ${pointer} is out of range`);
  return index;
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/** Applies the operations in order to `document`, in place. */
export function applyJsonPatch(
  document: Record<string, unknown>,
  operations: readonly JsonPatchOperation[],
): void {
  for (const { op, path, value } of operations) {
    const parts = tokens(path);
    const last = parts.pop();
    if (last === undefined) throw new Error('JSON patch: the whole document cannot be patched');
    let parent: unknown = document;
    for (const token of parts) {
      if (!isContainer(parent)) throw new Error(`JSON patch: ${path} goes through a scalar`);
      parent = child(parent, token, path);
    }
    if (!isContainer(parent)) throw new Error(`JSON patch: the parent of ${path} is not an object or array`);
    if (op === 'add') {
      if (value === undefined) throw new Error(`JSON patch: add ${path} has no value`);
      if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, true), 0, value);
      else parent[last] = value;
    } else if (op === 'replace') {
      if (value === undefined) throw new Error(`JSON patch: replace ${path} has no value`);
      child(parent, last, path);
      if (Array.isArray(parent)) parent[arrayIndex(parent, last, path, false)] = value;
      else parent[last] = value;
    } else if (op === 'remove') {
      child(parent, last, path);
      if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, false), 1);
      else Reflect.deleteProperty(parent, last);
    } else {
      throw new Error(`JSON patch: op ${String(op)} is not supported (add, replace, remove)`);
    }
  }
}
