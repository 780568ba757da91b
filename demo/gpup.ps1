# Try the GPU-P snippets here: type gpup- and pick one.
# The Virtual Machines view runs the same cmdlets through the extension's own module.
Get-VM | Select-Object -Property 'Name', 'State', 'CPUUsage', 'MemoryAssigned'
