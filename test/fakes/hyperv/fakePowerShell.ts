// The stand-in for powershell.exe that tests and `npm run demo` hand to node-powershell
// (through the pwsh-standin shim): it speaks node-powershell's framing on stdin/stdout/stderr,
// runs GpuPv.psm1's exported functions against the JSON state document named by
// GPUPV_FAKE_HYPERV_STATE, and logs every command it receives. Arguments
// (-NoLogo -NoExit -Command - ...) are accepted and ignored.
import { ModuleSession } from './moduleSession';
import { runProtocolLoop } from './protocolLoop';

const session = new ModuleSession(process.env);
runProtocolLoop((command) => session.execute(command));
