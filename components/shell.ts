// POSIX shell quoting, in one place: broker overrides and topic commands in the pods, the resume
// command the driver prints, the pre-run commands of Pulumi Deployments. Imports nothing (the
// policy pack vendors it with broker-config.ts).

/** Quote a value for a POSIX shell: as it is when nothing in it needs quoting, else in single quotes. */
export function shellQuote(value: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
