/**
 * `Deno.env` over `process.env` of the thread or process the extension runs in: in a worker
 * thread that is the worker's own copy of the CLI's environment (a `set` never reaches the
 * CLI); in a sandbox process it is the filtered environment the host started it with.
 */

function checkKey(key: string): void {
  if (key === "") throw new TypeError("Key is an empty string.");
  if (key.includes("=") || key.includes("\0")) throw new TypeError(`Key contains invalid characters: ${JSON.stringify(key)}`);
}

function checkValue(value: string): void {
  if (value.includes("\0")) throw new TypeError(`Value contains invalid characters: ${JSON.stringify(value)}`);
}

export interface DenoEnv {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  has(key: string): boolean;
  delete(key: string): void;
  toObject(): Record<string, string>;
}

export function createEnv(env: NodeJS.ProcessEnv = process.env): DenoEnv {
  return {
    get(key) {
      checkKey(String(key));
      return env[String(key)];
    },
    set(key, value) {
      checkKey(String(key));
      checkValue(String(value));
      env[String(key)] = String(value);
    },
    has(key) {
      checkKey(String(key));
      return env[String(key)] !== undefined;
    },
    delete(key) {
      checkKey(String(key));
      delete env[String(key)];
    },
    toObject() {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
      return out;
    },
  };
}
