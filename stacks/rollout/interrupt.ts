// Ctrl-C as the rollout driver understands it: the first stops after the running step, the second
// cancels the running operation.

/**
 * Ctrl-C as the driver understands it. The first request stops the rollout after the running
 * step and aborts `signal` (read-only waits end at once); the second runs the cancel handlers of
 * the running operation.
 */
export class Interrupt {
    private count = 0;
    private readonly controller = new AbortController();
    private readonly cancelHandlers = new Set<() => void>();
    private readonly listeners = new Set<(count: number) => void>();

    get requested(): boolean {
        return this.count > 0;
    }

    get requests(): number {
        return this.count;
    }

    /** Aborted at the first request. */
    get signal(): AbortSignal {
        return this.controller.signal;
    }

    request(): number {
        this.count++;
        if (this.count === 1) this.controller.abort();
        if (this.count >= 2) for (const h of [...this.cancelHandlers]) h();
        for (const l of [...this.listeners]) l(this.count);
        return this.count;
    }

    /** Run `handler` on a second request while the returned disposer has not been called. */
    onCancel(handler: () => void): () => void {
        this.cancelHandlers.add(handler);
        if (this.count >= 2) handler();
        return () => this.cancelHandlers.delete(handler);
    }

    onRequest(listener: (count: number) => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }
}
