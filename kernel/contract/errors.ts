/**
 * The error model every layer shares. An error that reaches the CLI is rendered as one line
 * (text) or `{"error": {"code", "message"}}` (--json) and mapped to an exit code. Codes are
 * stable strings: scripts match on them, so never rename one.
 *
 * This file imports nothing, so the CLI can load it on its fastest paths.
 */

export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  /** EX_TEMPFAIL: the command could not take a lock in time; retrying later may succeed. */
  lockTimeout: 75,
  /** 128 + SIGINT: the run was cancelled by Ctrl-C. */
  interrupted: 130,
  /** 128 + SIGTERM: the run was cancelled by a termination signal. */
  terminated: 143,
} as const;

export const ErrorCode = {
  internal: "internal",
  usage: "usage",
  notARepo: "not_a_repo",
  alreadyInitialized: "already_initialized",
  configInvalid: "config_invalid",
  datastoreUnknownType: "datastore_unknown_type",
  datastoreConfigInvalid: "datastore_config_invalid",
  datastoreUnavailable: "datastore_unavailable",
  pluginInvalid: "plugin_invalid",
  pluginDuplicate: "plugin_duplicate",
  lockTimeout: "lock_timeout",
  lockNotHeld: "lock_not_held",
  pathTraversal: "path_traversal",
  envVarUnset: "env_var_unset",
  notFound: "not_found",
  validation: "validation_failed",
  conflict: "conflict",
  alreadyExists: "already_exists",
  expressionFailed: "expression_failed",
  queryFailed: "query_failed",
  modelNotFound: "model_not_found",
  unknownModelType: "unknown_model_type",
  unknownMethod: "unknown_method",
  inputValidationFailed: "input_validation_failed",
  methodExecutionFailed: "method_execution_failed",
  extensionCrashed: "extension_crashed",
  extensionTimeout: "extension_timeout",
  extensionError: "extension_error",
  extensionPermissionDenied: "extension_permission_denied",
  extensionBuildFailed: "extension_build_failed",
  extensionInvalid: "extension_invalid",
  /** A datastore path the path policy refuses (system folders, the repo's source tree, $HOME). */
  datastorePathRefused: "datastore_path_refused",
  /** A CEL evaluation ran past its step budget. */
  expressionBudgetExceeded: "expression_budget_exceeded",
  /** A regular expression in CEL that the linear-time engine cannot compile. */
  invalidRegex: "invalid_regex",
  /** A definition file that cannot be parsed; names the file and the reason. */
  definitionInvalid: "definition_invalid",
  /** An input (file, stdin, argument) larger than the allowed size. */
  inputTooLarge: "input_too_large",
  /** The writer was fenced out: its lock was taken or released while it worked. */
  lockLost: "lock_lost",
  /** The run was cancelled by a signal. */
  cancelled: "cancelled",
  /** No space left on the device (ENOSPC) or quota exceeded (EDQUOT). */
  diskFull: "disk_full",
  /** The filesystem is read-only (EROFS). */
  readOnlyFilesystem: "read_only_filesystem",
  /** A run id prefix that matches more than one workflow run. */
  ambiguousRunId: "ambiguous_run_id",
  /** No workflow run matches the id, prefix or workflow given. */
  workflowRunNotFound: "workflow_run_not_found",
  /** A workflow file that fails the schema (unknown key, missing field, authoring error). */
  workflowInvalid: "workflow_invalid",
  /** No workflow file holds the name or id. */
  workflowNotFound: "workflow_not_found",
  /** A workflow file with the asked-for name or id exists but cannot be loaded. */
  workflowLoadFailed: "workflow_load_failed",
  /** A workflow run failed outside any one step (a forEach error, a bad plan, a missing job). */
  workflowExecutionFailed: "workflow_execution_failed",
  /** A workflow step whose task kind is parsed but not run yet (`workflow`, `manual_approval`, `assert`). */
  unsupportedTask: "unsupported_task",
  /** A change to an extension workflow (pulled or from a source mount): those are read-only. */
  workflowReadOnly: "workflow_read_only",
  /** A read/update method on a model whose every declared resource carries a deletion marker. */
  resourceDeleted: "resource_deleted",
  /** The S3 datastore is used but its optional dependency, @aws-sdk/client-s3, is not installed. */
  s3SdkMissing: "s3_sdk_missing",
  /** `doctor extensions --typecheck` found no TypeScript compiler (neither the repository's nor swamp's). */
  typescriptMissing: "typescript_missing",
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface SwampErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
  exitCode?: number;
}

/** Base of every error we raise on purpose. `code` is stable; `message` is for people. */
export class SwampError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: SwampErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SwampError";
    this.code = code;
    this.details = options.details;
    this.exitCode = options.exitCode ?? (code === ErrorCode.lockTimeout ? ExitCode.lockTimeout : ExitCode.error);
  }
}

/** Bad command-line usage: exit code 2. */
export class UsageError extends SwampError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.usage, message, { details, exitCode: ExitCode.usage });
    this.name = "UsageError";
  }
}

/** Holder shape used in lock messages; mirrors LockInfo without importing the port. */
export interface LockHolderSummary {
  holder: string;
  pid: number;
  hostname?: string;
}

/**
 * Raised when a lock could not be taken before its deadline. Exit code 75. Extensions may
 * throw their own class: anything with `code === "lock_timeout"` is treated the same.
 */
export class LockTimeoutError extends SwampError {
  readonly lockKey: string;
  readonly holderInfo: LockHolderSummary | null;
  readonly elapsedMs: number;

  constructor(lockKey: string, holder: LockHolderSummary | null, elapsedMs: number) {
    const who = holder ? ` held by ${holder.holder} (pid ${holder.pid})` : "";
    super(
      ErrorCode.lockTimeout,
      `Lock "${lockKey}"${who} — timed out after ${Math.round(elapsedMs)}ms. ` +
        `If the holder is gone, run 'swamp datastore lock release --force'.`,
      { details: { lockKey, holder, elapsedMs: Math.round(elapsedMs) } },
    );
    this.name = "LockTimeoutError";
    this.lockKey = lockKey;
    this.holderInfo = holder;
    this.elapsedMs = elapsedMs;
  }
}

/** Duck-typed check: errors rebuilt from a worker or thrown by extensions carry `code` only. */
export function errorCode(err: unknown): string | undefined {
  if (err && typeof err === "object" && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof SwampError) return err.exitCode;
  return errorCode(err) === ErrorCode.lockTimeout ? ExitCode.lockTimeout : ExitCode.error;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * A message as one line: the lines after the first (a list of problems, a hint) are joined
 * onto it, so nothing is lost under the one-line contract.
 */
export function oneLine(message: string): string {
  const [head = "", ...rest] = message.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (rest.length === 0) return head;
  return `${head}${head.endsWith(":") ? " " : " — "}${rest.join("; ")}`;
}
