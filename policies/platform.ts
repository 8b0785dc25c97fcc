// The only module of the pack that reaches outside policies/: the platform's own label and
// broker-config helpers, so a policy and a component can never disagree about which pods a
// selector covers or how the broker's `--override` flags read. Both modules import nothing.
// scripts/stage.sh vendors them next to this file (and rewrites these paths) for
// `pulumi policy publish`, which packs this folder alone.
export { HOSTNAME_TOPOLOGY_KEY, selectorLabels, selectorMatches } from "../components/labels";
export type { App, LabelSelector, LabelSelectorRequirement } from "../components/labels";
export { parseOverrides } from "../components/broker-config";
