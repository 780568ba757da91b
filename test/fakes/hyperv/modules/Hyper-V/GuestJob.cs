using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Text.Json;
using System.Threading;

namespace GpuPvStandIn
{
    // Invoke-Command -Session <guest> -AsJob: the guest's pipeline runs in its runspace while the
    // host goes on; Receive-Job, Wait-Job, Stop-Job and Remove-Job (the real cmdlets) see it as
    // the remote job they would see on Windows.
    public sealed class GuestJob : Job2
    {
        private readonly PowerShell pipeline;
        private readonly PSDataCollection<PSObject> raw = new PSDataCollection<PSObject>();
        private readonly PSObject session;
        private readonly string vmName;
        private readonly string vmId;
        private readonly string statePath;
        private readonly string marker;
        private readonly object gate = new object();
        private Timer watch;
        private Exception lost;
        private bool stopping;

        public GuestJob(string command, string name, PowerShell pipeline, PSObject session, string vmName, string vmId, string statePath, string marker)
            : base(command, name)
        {
            this.pipeline = pipeline;
            this.session = session;
            this.vmName = vmName;
            this.vmId = vmId;
            this.statePath = statePath;
            this.marker = marker;
            PSJobTypeName = "RemoteJob";
        }

        public override string StatusMessage { get { return string.Empty; } }
        public override bool HasMoreData { get { return Output.Count > 0 || Error.Count > 0; } }
        public override string Location { get { return vmName; } }

        public override void StartJob()
        {
            SetJobState(JobState.Running);
            raw.DataAdded += (sender, e) => Relay();
            pipeline.InvocationStateChanged += (sender, e) => Ended(e.InvocationStateInfo);
            watch = new Timer(_ => Watch(), null, 200, 200);
            pipeline.BeginInvoke<PSObject, PSObject>(null, raw);
        }

        private void Relay()
        {
            lock (gate)
            {
                foreach (PSObject item in raw.ReadAll())
                {
                    // What a guest wrote after its VM went away never reached the host.
                    if (lost != null) continue;
                    Output.Add(Remoted(item));
                }
            }
        }

        private PSObject Remoted(PSObject item)
        {
            PSObject copy = PSObject.AsPSObject(PSSerializer.Deserialize(PSSerializer.Serialize(item)));
            copy.Properties.Add(new PSNoteProperty("PSComputerName", vmName));
            copy.Properties.Add(new PSNoteProperty("RunspaceId", InstanceId));
            copy.Properties.Add(new PSNoteProperty("PSShowComputerName", true));
            return copy;
        }

        private void Watch()
        {
            string state = VmState();
            if (state == null || state == "Running") return;
            lock (gate)
            {
                if (lost != null || IsFinishedState(JobStateInfo.State)) return;
                lost = new PSRemotingTransportException("The PowerShell Direct session to the virtual machine " + vmName + " was lost: the virtual machine is no longer running.");
            }
            PSPropertyInfo sessionState = session.Properties["State"];
            if (sessionState != null) sessionState.Value = "Broken";
            KillGuestProcesses();
            pipeline.BeginStop(null, null);
        }

        private string VmState()
        {
            try
            {
                using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(statePath)))
                {
                    foreach (JsonElement vm in doc.RootElement.GetProperty("vms").EnumerateArray())
                    {
                        if (string.Equals(vm.GetProperty("id").GetString(), vmId, StringComparison.OrdinalIgnoreCase)) return vm.GetProperty("state").GetString();
                    }
                    return "Missing";
                }
            }
            catch (IOException) { return null; }
            catch (JsonException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }

        // A VM that stops takes its processes with it: here, every process that carries the guest's marker.
        private void KillGuestProcesses()
        {
            if (!Directory.Exists("/proc")) return;
            byte[] needle = System.Text.Encoding.UTF8.GetBytes(marker + "\0");
            int self = Environment.ProcessId;
            foreach (string dir in Directory.GetDirectories("/proc"))
            {
                int pid;
                if (!int.TryParse(Path.GetFileName(dir), out pid) || pid == self) continue;
                try
                {
                    byte[] environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                    if (IndexOf(environ, needle) < 0) continue;
                    using (System.Diagnostics.Process process = System.Diagnostics.Process.GetProcessById(pid)) process.Kill();
                }
                catch (Exception) { }
            }
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= haystack.Length; i++)
            {
                if (i > 0 && haystack[i - 1] != 0) continue;
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }

        private void Ended(PSInvocationStateInfo info)
        {
            if (info.State != PSInvocationState.Completed && info.State != PSInvocationState.Failed && info.State != PSInvocationState.Stopped) return;
            if (watch != null) watch.Dispose();
            Relay();
            lock (gate)
            {
                if (lost != null)
                {
                    Error.Add(new ErrorRecord(lost, "PSSessionStateBroken", ErrorCategory.OpenError, null));
                    SetJobState(JobState.Failed, lost);
                    return;
                }
                foreach (ErrorRecord record in pipeline.Streams.Error) Error.Add(record);
                if (info.State == PSInvocationState.Failed)
                {
                    Exception reason = info.Reason;
                    Error.Add(new ErrorRecord(reason, "RemoteException", ErrorCategory.NotSpecified, null));
                    SetJobState(JobState.Failed, reason);
                }
                else if (info.State == PSInvocationState.Stopped || stopping)
                {
                    SetJobState(JobState.Stopped);
                }
                else
                {
                    SetJobState(JobState.Completed);
                }
            }
        }

        private static bool IsFinishedState(JobState state)
        {
            return state == JobState.Completed || state == JobState.Failed || state == JobState.Stopped;
        }

        public override void StopJob()
        {
            if (IsFinishedState(JobStateInfo.State)) return;
            stopping = true;
            SetJobState(JobState.Stopping);
            pipeline.Stop();
            Finished.WaitOne();
        }

        public override void StopJob(bool force, string reason) { StopJob(); }
        public override void StopJobAsync() { StopJob(); OnStopJobCompleted(new AsyncCompletedEventArgs(null, false, null)); }
        public override void StopJobAsync(bool force, string reason) { StopJobAsync(); }
        public override void StartJobAsync() { StartJob(); OnStartJobCompleted(new AsyncCompletedEventArgs(null, false, null)); }
        public override void SuspendJob() { throw new NotSupportedException(); }
        public override void SuspendJobAsync() { throw new NotSupportedException(); }
        public override void SuspendJob(bool force, string reason) { throw new NotSupportedException(); }
        public override void SuspendJobAsync(bool force, string reason) { throw new NotSupportedException(); }
        public override void ResumeJob() { throw new NotSupportedException(); }
        public override void ResumeJobAsync() { throw new NotSupportedException(); }
        public override void UnblockJob() { throw new NotSupportedException(); }
        public override void UnblockJobAsync() { throw new NotSupportedException(); }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                if (watch != null) watch.Dispose();
                pipeline.Dispose();
                raw.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
