// A node graph: one setup step, two parallel branches that fail together, a merge. `cairn rerun
// --failed` starts a new run that reuses setup (its output and the variables it set are restored) and
// executes only the failed branches and what depends on them.
//
//   BRANCHES_BROKEN=1 npx cairn run examples/parallel-branches.ts --id graph-1   # left and right fail
//   npx cairn rerun graph-1 --failed                                             # setup reused
import { workflow } from "cairn-runs";

const broken = () => process.env.BRANCHES_BROKEN === "1";

export default workflow("parallel-branches")
  .step("setup", ({ vars }) => {
    vars.set("region", "eu-west");
    return { batch: 7 };
  })
  .step("left", { needs: ["setup"] }, ({ needs, vars }) => {
    if (broken()) throw new Error("left branch: upstream API refused the batch");
    return `left ${needs.setup.batch} in ${vars.get("region")}`;
  })
  .step("right", { needs: ["setup"] }, ({ needs, vars }) => {
    if (broken()) throw new Error("right branch: disk quota exceeded");
    return `right ${needs.setup.batch} in ${vars.get("region")}`;
  })
  .step("audit", { needs: ["setup"] }, ({ needs }) => `audited batch ${needs.setup.batch}`)
  .step("merge", { needs: ["left", "right"] }, ({ needs }) => [needs.left, needs.right]);
