-- The reference for `npm run bench`: what a hand-written Wireshark dissector for the demo
-- protocol costs. The 16-byte PvgpuCommandHeader (type, size, resource_id, flags) and one
-- payload, PvgpuCmdDrawIndexed (type 0x202), registered for LINKTYPE_USER0, the link type
-- gpupv captures use. Run as: tshark -r capture.pcapng -X lua_script:pvgpuDissector.lua ...
local pvgpu = Proto("pvgpu", "GPU-PV ring command")
local f = {
  type = ProtoField.uint32("pvgpu.type", "Opcode", base.DEC),
  size = ProtoField.uint32("pvgpu.size", "Size", base.DEC),
  resource_id = ProtoField.uint32("pvgpu.resource_id", "Resource", base.DEC),
  flags = ProtoField.uint32("pvgpu.flags", "Flags", base.DEC),
  index_count = ProtoField.uint32("pvgpu.index_count", "Index count", base.DEC),
  start_index = ProtoField.uint32("pvgpu.start_index", "Start index", base.DEC),
  base_vertex = ProtoField.int32("pvgpu.base_vertex", "Base vertex", base.DEC),
}
pvgpu.fields = { f.type, f.size, f.resource_id, f.flags, f.index_count, f.start_index, f.base_vertex }
function pvgpu.dissector(tvb, pinfo, tree)
  if tvb:len() < 16 then return 0 end
  pinfo.cols.protocol = "PVGPU"
  local t = tree:add(pvgpu, tvb())
  t:add_le(f.type, tvb(0, 4))
  t:add_le(f.size, tvb(4, 4))
  t:add_le(f.resource_id, tvb(8, 4))
  t:add_le(f.flags, tvb(12, 4))
  if tvb(0, 4):le_uint() == 0x202 and tvb:len() >= 28 then
    t:add_le(f.index_count, tvb(16, 4))
    t:add_le(f.start_index, tvb(20, 4))
    t:add_le(f.base_vertex, tvb(24, 4))
  end
  return tvb:len()
end
DissectorTable.get("wtap_encap"):add(wtap.USER0, pvgpu)
