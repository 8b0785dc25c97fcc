import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONFIG_NAMESPACE } from "../../components/config";
import { PROJECT_NAME } from "../../components/project";
import { PROJECT } from "../../stacks/deployments";

describe("the project name", () => {
    it("is Pulumi.yaml's name, the config namespace and the Deployments project", () => {
        const doc = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as { name: string };
        assert.strictEqual(doc.name, "kafka-platform");
        assert.strictEqual(PROJECT_NAME, doc.name);
        assert.strictEqual(CONFIG_NAMESPACE, doc.name);
        assert.strictEqual(PROJECT, doc.name);
    });
});
