// The kafka-guardrails policy pack: serves the rules of rules.ts to the Pulumi engine.
// Run it with `pulumi preview --policy-pack policies --policy-pack-config policies/config/prod.json`.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./rules";

new PolicyPack(PACK_NAME, { policies, enforcementLevel: "mandatory" });
