// piscina's runner loads @napi-rs/nice only to lower a thread's priority (`niceIncrement`),
// which swamp never sets; it treats a failed load as "not installed". The package is not
// shipped, so the bundle names no module it cannot find.
"use strict";

throw new Error("@napi-rs/nice is not shipped with swamp: worker threads keep the CLI's priority");
