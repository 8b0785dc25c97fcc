// Entry point for `pulumi up` with the Node.js language host: the program is a function, whose
// result is the stack outputs. stacks/ runs the same function as an Automation API inline program.
import { kafkaPlatform } from "./program";

export = kafkaPlatform;
