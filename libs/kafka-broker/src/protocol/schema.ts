import { MalformedFrameError, Reader } from './reader';
import { Writer } from './writer';

/**
 * Message layouts are written in a small indented notation, one field per line, transcribed from
 * Apache Kafka's message definitions:
 *
 *     name type versions [null=versions] [=default]
 *
 * `type` is int8, int16, int32, int64, uint16, float64, bool, string, bytes, records, uuid, an array
 * of one of those (`[]int32`), or `[]` for an array of structs whose fields follow, indented by two
 * more spaces. `versions` is `N+`, `N-M`, `N` or `none`. Tagged fields are left out: we never send
 * them, and unknown tags are skipped when reading, as the protocol allows.
 *
 * From the notation a codec is compiled per version, once, so decoding a request is a straight run
 * of closures without version checks.
 */
type Range = readonly [number, number];

interface FieldSpec {
  name: string;
  type: string;
  versions: Range;
  nullable: Range;
  dflt: unknown;
  children: FieldSpec[];
}

interface Codec {
  read(r: Reader): unknown;
  write(w: Writer, v: unknown): void;
}

const NONE: Range = [1, 0];
const ZERO_UUID = Buffer.alloc(16);

function parseRange(s: string): Range {
  if (s === 'none') return NONE;
  if (s.endsWith('+')) return [Number(s.slice(0, -1)), Number.MAX_SAFE_INTEGER];
  const dash = s.indexOf('-');
  if (dash > 0) return [Number(s.slice(0, dash)), Number(s.slice(dash + 1))];
  return [Number(s), Number(s)];
}

const inRange = (r: Range, v: number): boolean => v >= r[0] && v <= r[1];

function defaultFor(type: string, nullableEver: boolean): unknown {
  if (type.startsWith('[]')) return [];
  switch (type) {
    case 'int64':
      return 0n;
    case 'bool':
      return false;
    case 'string':
      return nullableEver ? null : '';
    case 'bytes':
      return nullableEver ? null : Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return ZERO_UUID;
    default:
      return 0;
  }
}

function parseDefault(raw: string, type: string): unknown {
  if (raw === 'null') return null;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (type === 'int64') return BigInt(raw);
  if (type === 'string') return raw;
  return Number(raw);
}

function parseFields(dsl: string): FieldSpec[] {
  const root: FieldSpec[] = [];
  const stack: { indent: number; fields: FieldSpec[] }[] = [{ indent: -1, fields: root }];
  for (const line of dsl.split('\n')) {
    if (line.trim() === '') continue;
    const indent = line.length - line.trimStart().length;
    const [name, type, versions, ...rest] = line.trim().split(/\s+/);
    if (!name || !type || !versions) throw new Error(`bad schema line: ${line}`);
    while (stack[stack.length - 1].indent >= indent) stack.pop();
    let nullable = NONE;
    let rawDefault: string | undefined;
    for (const opt of rest) {
      if (opt.startsWith('null=')) nullable = parseRange(opt.slice(5));
      else if (opt.startsWith('=')) rawDefault = opt.slice(1);
      else throw new Error(`bad schema option ${opt} in: ${line}`);
    }
    const nullableEver = nullable !== NONE;
    const field: FieldSpec = {
      name,
      type,
      versions: parseRange(versions),
      nullable,
      dflt: rawDefault === undefined ? defaultFor(type, nullableEver) : parseDefault(rawDefault, type),
      children: [],
    };
    stack[stack.length - 1].fields.push(field);
    if (type === '[]') stack.push({ indent, fields: field.children });
  }
  return root;
}

function scalarCodec(type: string, nullable: boolean, flexible: boolean): Codec {
  switch (type) {
    case 'int8':
      return { read: (r) => r.int8(), write: (w, v) => w.int8(v as number) };
    case 'int16':
      return { read: (r) => r.int16(), write: (w, v) => w.int16(v as number) };
    case 'uint16':
      return { read: (r) => r.uint16(), write: (w, v) => w.uint16(v as number) };
    case 'int32':
      return { read: (r) => r.int32(), write: (w, v) => w.int32(v as number) };
    case 'int64':
      return { read: (r) => r.int64(), write: (w, v) => w.int64(v as bigint) };
    case 'float64':
      return { read: (r) => r.float64(), write: (w, v) => w.float64(v as number) };
    case 'bool':
      return { read: (r) => r.bool(), write: (w, v) => w.bool(v as boolean) };
    case 'uuid':
      return { read: (r) => r.uuid(), write: (w, v) => w.uuid(v as Buffer) };
    case 'string': {
      const orEmpty = (s: string | null): string | null => (s === null && !nullable ? '' : s);
      return flexible
        ? {
            read: (r) => orEmpty(r.compactNullableString()),
            write: (w, v) => w.compactNullableString(orEmpty(v as string | null)),
          }
        : {
            read: (r) => orEmpty(r.nullableString()),
            write: (w, v) => w.nullableString(orEmpty(v as string | null)),
          };
    }
    case 'bytes':
    case 'records': {
      const keepNull = nullable || type === 'records';
      const orEmpty = (b: Buffer | null): Buffer | null => (b === null && !keepNull ? Buffer.alloc(0) : b);
      return flexible
        ? {
            read: (r) => orEmpty(r.compactNullableBytes()),
            write: (w, v) => w.compactNullableBytes(orEmpty(v as Buffer | null)),
          }
        : {
            read: (r) => orEmpty(r.nullableBytes()),
            write: (w, v) => w.nullableBytes(orEmpty(v as Buffer | null)),
          };
    }
    default:
      throw new Error(`unknown schema type ${type}`);
  }
}

function arrayCodec(element: Codec, nullable: boolean, flexible: boolean): Codec {
  return {
    read(r) {
      const len = flexible ? r.uvarint() - 1 : r.int32();
      if (len < 0) return nullable ? null : [];
      if (len > r.remaining()) throw new MalformedFrameError(`array length ${len} exceeds the frame`);
      const out: unknown[] = new Array<unknown>(len);
      for (let i = 0; i < len; i++) out[i] = element.read(r);
      return out;
    },
    write(w, v) {
      const items = v as unknown[] | null;
      if (items === null) {
        if (flexible) w.uvarint(0);
        else w.int32(nullable ? -1 : 0);
        return;
      }
      if (flexible) w.uvarint(items.length + 1);
      else w.int32(items.length);
      for (const item of items) element.write(w, item);
    },
  };
}

function structCodec(fields: FieldSpec[], version: number, flexible: boolean): Codec {
  const present: { name: string; codec: Codec; dflt: unknown }[] = [];
  const absent: { name: string; dflt: unknown }[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) {
      absent.push({ name: f.name, dflt: f.dflt });
      continue;
    }
    const nullable = inRange(f.nullable, version);
    let codec: Codec;
    if (f.type === '[]') codec = arrayCodec(structCodec(f.children, version, flexible), nullable, flexible);
    else if (f.type.startsWith('[]'))
      codec = arrayCodec(scalarCodec(f.type.slice(2), false, flexible), nullable, flexible);
    else codec = scalarCodec(f.type, nullable, flexible);
    present.push({ name: f.name, codec, dflt: f.dflt });
  }
  return {
    read(r) {
      const out: Record<string, unknown> = {};
      for (const p of present) out[p.name] = p.codec.read(r);
      for (const a of absent) out[a.name] = a.dflt;
      if (flexible) r.skipTaggedFields();
      return out;
    },
    write(w, v) {
      const obj = v as Record<string, unknown>;
      for (const p of present) {
        const value = obj[p.name];
        p.codec.write(w, value === undefined ? p.dflt : value);
      }
      if (flexible) w.emptyTaggedFields();
    },
  };
}

/** One request or response layout across all its versions. */
export class MessageSchema<T> {
  private readonly fields: FieldSpec[];
  private readonly codecs = new Map<number, Codec>();

  constructor(
    dsl: string,
    private readonly flexibleFrom: number,
  ) {
    this.fields = parseFields(dsl);
  }

  private codec(version: number): Codec {
    let c = this.codecs.get(version);
    if (!c) {
      c = structCodec(this.fields, version, version >= this.flexibleFrom);
      this.codecs.set(version, c);
    }
    return c;
  }

  decode(r: Reader, version: number): T {
    return this.codec(version).read(r) as T;
  }

  encode(w: Writer, version: number, value: T): void {
    this.codec(version).write(w, value);
  }
}

/** Flexible versions start here; `none` → never. */
export const NEVER_FLEXIBLE = Number.MAX_SAFE_INTEGER;
