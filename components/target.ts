// Where the program deploys: the one rule for program.ts (which builds the provider) and
// stacks/workspace.ts (which tells the driver whether its gates have a cluster to read).
import { KubeconfigSource, defaultKubeconfigPath } from "../rollout/kube";

export interface TargetConfig {
    /** The stack's renderDir: when set, manifests are written there, whatever cluster there is. */
    renderDir?: string;
    /** kubernetes:kubeconfig (contents or a path). */
    kubeconfig?: string;
    /** kubernetes:context. */
    context?: string;
}

/**
 * The cluster to deploy to: the configured kubeconfig, else the default one ($KUBECONFIG,
 * ~/.kube/config), unless renderDir is set. Undefined means render YAML instead.
 */
export function clusterTarget(t: TargetConfig): KubeconfigSource | undefined {
    if (t.renderDir || !(t.kubeconfig || defaultKubeconfigPath())) return undefined;
    return { kubeconfig: t.kubeconfig || undefined, context: t.context || undefined };
}
