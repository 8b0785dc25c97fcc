// Assertions on stack config validation, shared by the config tests.
import * as assert from "assert";
import { ConfigError, parseConfig } from "../../components/config";

/** The problems parseConfig reports for a config, or a failure if it accepts it. */
export function problems(config: Record<string, unknown>): string[] {
    try {
        parseConfig(config);
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.problems;
    }
    assert.fail(`accepted ${JSON.stringify(config)}`);
}

/** Asserts that a problem names `kafka-platform:<key>` and says each of `mentions`. */
export function rejects(config: Record<string, unknown>, key: string, ...mentions: RegExp[]) {
    const found = problems(config);
    const line = found.find((p) => p.startsWith(`kafka-platform:${key}:`));
    assert.ok(line, `no problem names kafka-platform:${key}; got:\n${found.join("\n")}`);
    for (const m of mentions) assert.match(line!, m);
}
