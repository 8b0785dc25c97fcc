// The one wait loop of the rollout: look, report progress when it changes, stop when the answer is
// done, the deadline passes or the signal aborts; between looks, sleep until the poll interval
// ends or a watch says something changed. The Pulumi program's await (await.ts) and the driver's
// gates (gates.ts) both wait through it. Imports nothing.

export interface WaitOptions<T> {
    /** The deadline, from the first look. */
    timeoutSeconds: number;
    /** Between looks when nothing wakes the wait earlier. Defaults to 1000 ms. */
    pollMs?: number;
    /** Aborting ends the wait at the next turn of the loop (a wait only reads, so this is always safe). */
    signal?: AbortSignal;
    /** Called with a look's answer when its progress key differs from the last one reported. */
    onProgress?: (value: T, elapsedSeconds: number) => void;
    /** What a change of progress is. Defaults to String(value). */
    progressKey?: (value: T) => string;
    /**
     * Wake-ups between looks (a Kubernetes watch): subscribe calls `notify` on every change and
     * returns the unsubscribe. Polling goes on regardless, so a watch that breaks costs only latency.
     */
    wake?: (notify: () => void) => () => void;
    /** Injected by tests. */
    now?: () => number;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface WaitResult<T> {
    /** done: `isDone` held; timeout: the deadline passed; aborted: the signal aborted. */
    outcome: "done" | "timeout" | "aborted";
    /** The last answer (absent when every look failed). */
    value?: T;
    /** The last look's error, when the last look failed. */
    error?: unknown;
    elapsedSeconds: number;
    /** Looks taken. */
    attempts: number;
}

/** Sleep that ends early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = setTimeout(done, ms);
        function done() {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
    });
}

/**
 * Look with `check` until `isDone` holds for its answer, the deadline passes or the signal aborts.
 * A look that throws (a passing API or exec error) is retried until the deadline; the last error
 * is returned with the last good answer.
 */
export async function waitFor<T>(check: (signal?: AbortSignal) => Promise<T>, isDone: (value: T) => boolean, o: WaitOptions<T>): Promise<WaitResult<T>> {
    const now = o.now ?? Date.now;
    const started = now();
    const elapsed = () => Math.round((now() - started) / 1000);
    const key = o.progressKey ?? ((v: T) => String(v));
    let attempts = 0;
    let value: T | undefined;
    let error: unknown;
    let lastKey: string | undefined;

    // A change seen while looking makes the next pause return at once.
    let woken = false;
    let wakeUp: (() => void) | undefined;
    const notify = () => {
        woken = true;
        wakeUp?.();
    };
    const pause = (ms: number): Promise<void> => {
        if (o.sleep) return o.sleep(ms, o.signal);
        if (woken) return Promise.resolve();
        return new Promise<void>((resolve) => {
            const timer = setTimeout(done, ms);
            function done() {
                clearTimeout(timer);
                o.signal?.removeEventListener("abort", done);
                wakeUp = undefined;
                resolve();
            }
            wakeUp = done;
            if (o.signal?.aborted) return done();
            o.signal?.addEventListener("abort", done, { once: true });
        });
    };
    const unsubscribe = o.wake?.(notify);
    const result = (outcome: WaitResult<T>["outcome"]): WaitResult<T> => ({ outcome, value, error, elapsedSeconds: elapsed(), attempts });

    try {
        for (;;) {
            if (o.signal?.aborted) return result("aborted");
            attempts++;
            woken = false;
            try {
                value = await check(o.signal);
                error = undefined;
            } catch (err) {
                error = err;
            }
            if (error === undefined) {
                const k = key(value as T);
                if (k !== lastKey) {
                    lastKey = k;
                    o.onProgress?.(value as T, elapsed());
                }
                if (isDone(value as T)) return result("done");
            }
            if (elapsed() >= o.timeoutSeconds) return result("timeout");
            await pause(o.pollMs ?? 1000);
        }
    } finally {
        unsubscribe?.();
    }
}
