//! The host backend's mirror of the guest's `pvgpu_protocol.h`, written by hand and kept in
//! step by hand. It has drifted from the header in five places; `gpupv layout --diff-rust
//! host/src/protocol.rs include/pvgpu_protocol.h` lists them, and VS Code marks them here
//! (this file is named in gpupv.json's `protocol.mirrors`).
#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals, dead_code, clippy::all)]

pub const MAGIC: u32 = 0x50564750;
pub const VERSION_MAJOR: u32 = 1;
pub const VERSION_MINOR: u32 = 3;
pub const VERSION: u32 = 0x10003;
pub const PAGE_SIZE: u32 = 0x1000;
pub const CACHE_LINE_SIZE: u32 = 0x40;
pub const SHMEM_SIZE: u32 = 0x10000000;
pub const CONTROL_REGION_OFFSET: u32 = 0;
pub const CONTROL_REGION_SIZE: u32 = 0x1000;
pub const RING_OFFSET: u32 = 0x1000;
pub const RING_SIZE: u32 = 0x1000000;
pub const RING_MASK: u32 = 0xFFFFFF;
pub const HEAP_OFFSET: u32 = 0x1001000;
pub const HEAP_SIZE: u32 = 0xEFFF000;
pub const FEATURE_D3D11: u64 = 1;
pub const FEATURE_COMPUTE: u64 = 2;
pub const FEATURE_TESSELLATION: u64 = 4;
pub const FEATURE_SHARED_RES: u64 = 8;
pub const FEATURE_HW_CURSOR: u64 = 0x10;
pub const FEATURE_FENCE_IRQ: u64 = 0x20;
pub const FEATURE_VSYNC: u64 = 0x40;
pub const FEATURE_DEBUG_LAYER: u64 = 0x8000000000000000;
pub const CMD_FLAG_SYNC: u32 = 1;
pub const CMD_FLAG_NO_FENCE: u32 = 2;
pub const CMD_FLAG_MASK: u32 = 3;
pub const INVALID_ID: u32 = 0;
pub const CMD_CREATE_RESOURCE: u32 = 1;
pub const CMD_DESTROY_RESOURCE: u32 = 2;
pub const CMD_MAP_RESOURCE: u32 = 3;
pub const CMD_UNMAP_RESOURCE: u32 = 4;
pub const CMD_UPLOAD_DATA: u32 = 5;
pub const CMD_COPY_RESOURCE: u32 = 6;
pub const CMD_COPY_SUBRESOURCE_REGION: u32 = 7;
pub const CMD_OPEN_SHARED_RESOURCE: u32 = 8;
pub const CMD_CREATE_BLEND_STATE: u32 = 0x10;
pub const CMD_CREATE_RASTERIZER_STATE: u32 = 0x11;
pub const CMD_CREATE_DEPTH_STENCIL_STATE: u32 = 0x12;
pub const CMD_CREATE_SAMPLER: u32 = 0x13;
pub const CMD_CREATE_INPUT_LAYOUT: u32 = 0x14;
pub const CMD_DESTROY_STATE_OBJECT: u32 = 0x15;
pub const CMD_CREATE_RENDER_TARGET_VIEW: u32 = 0x20;
pub const CMD_CREATE_DEPTH_STENCIL_VIEW: u32 = 0x21;
pub const CMD_CREATE_SHADER_RESOURCE_VIEW: u32 = 0x22;
pub const CMD_CREATE_UNORDERED_ACCESS_VIEW: u32 = 0x23;
pub const CMD_DESTROY_VIEW: u32 = 0x24;
pub const CMD_CREATE_SHADER: u32 = 0x30;
pub const CMD_DESTROY_SHADER: u32 = 0x31;
pub const CMD_SET_RENDER_TARGETS: u32 = 0x101;
pub const CMD_SET_VIEWPORTS: u32 = 0x102;
pub const CMD_SET_SCISSOR_RECTS: u32 = 0x103;
pub const CMD_SET_BLEND_STATE: u32 = 0x104;
pub const CMD_SET_RASTERIZER_STATE: u32 = 0x105;
pub const CMD_SET_DEPTH_STENCIL_STATE: u32 = 0x106;
pub const CMD_SET_SHADER: u32 = 0x107;
pub const CMD_SET_SAMPLERS: u32 = 0x108;
pub const CMD_SET_SHADER_RESOURCES: u32 = 0x109;
pub const CMD_SET_CONSTANT_BUFFERS: u32 = 0x10A;
pub const CMD_SET_VERTEX_BUFFERS: u32 = 0x10B;
pub const CMD_SET_INDEX_BUFFER: u32 = 0x10C;
pub const CMD_SET_PRIMITIVE_TOPOLOGY: u32 = 0x10D;
pub const CMD_SET_INPUT_LAYOUT: u32 = 0x10E;
pub const CMD_SET_INLINE_CONSTANTS: u32 = 0x10F;
pub const CMD_DRAW: u32 = 0x201;
pub const CMD_DRAW_INDEXED: u32 = 0x202;
pub const CMD_DRAW_INSTANCED: u32 = 0x203;
pub const CMD_DRAW_INDEXED_INSTANCED: u32 = 0x204;
pub const CMD_DISPATCH: u32 = 0x205;
pub const CMD_CLEAR_RENDER_TARGET_VIEW: u32 = 0x206;
pub const CMD_CLEAR_DEPTH_STENCIL_VIEW: u32 = 0x207;
pub const CMD_FENCE: u32 = 0x301;
pub const CMD_PRESENT: u32 = 0x302;
pub const CMD_FLUSH: u32 = 0x303;
pub const CMD_WAIT_FENCE: u32 = 0x305;
pub const MAX_RENDER_TARGETS: i32 = 8;
pub const MAX_UAV_SLOTS: i32 = 8;
pub const MAX_VIEWPORTS: i32 = 0x10;
pub const MAX_SCISSOR_RECTS: i32 = 0x10;
pub const MAX_SAMPLERS: i32 = 0x10;
pub const MAX_SHADER_RESOURCES: i32 = 0x20;
pub const MAX_CB: i32 = 0xE;
pub const MAX_VERTEX_BUFFERS: i32 = 0x10;
pub const MAX_INPUT_ELEMENTS: i32 = 0x18;
pub const MAX_SEMANTIC_NAME: i32 = 0x10;
pub const MAX_CLEAR_RECTS: i32 = 4;
pub const SHADER_HASH_SIZE: i32 = 0x10;
pub const BIND_VERTEX_BUFFER: u32 = 1;
pub const BIND_INDEX_BUFFER: u32 = 2;
pub const BIND_CONSTANT_BUFFER: u32 = 4;
pub const BIND_SHADER_RESOURCE: u32 = 8;
pub const BIND_STREAM_OUTPUT: u32 = 0x10;
pub const BIND_RENDER_TARGET: u32 = 0x20;
pub const BIND_DEPTH_STENCIL: u32 = 0x40;
pub const BIND_UNORDERED_ACCESS: u32 = 0x80;
pub const CPU_ACCESS_WRITE: u32 = 0x10000;
pub const CPU_ACCESS_READ: u32 = 0x20000;
pub const CLEAR_DEPTH: u32 = 1;
pub const CLEAR_STENCIL: u32 = 2;
pub const PRESENT_FLAG_TEST: u32 = 1;
pub const PRESENT_FLAG_DO_NOT_WAIT: u32 = 8;
pub const PRESENT_FLAG_ALLOW_TEARING: u32 = 0x200;
pub const NO_HEAP_OFFSET: u64 = 0xFFFFFFFFFFFFFFFF;

/// DeviceStatus as the header defines it; read it from the wire with `DeviceStatus::try_from(raw)`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceStatus {
    Reset = 0,
    Ready = 1,
    Error = 2,
    DeviceLost = 3,
}

impl TryFrom<i32> for DeviceStatus {
    type Error = i32;
    fn try_from(raw: i32) -> Result<Self, i32> {
        match raw {
            0 => Ok(Self::Reset),
            1 => Ok(Self::Ready),
            2 => Ok(Self::Error),
            3 => Ok(Self::DeviceLost),
            other => Err(other),
        }
    }
}

/// ErrorCode as the header defines it; read it from the wire with `ErrorCode::try_from(raw)`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    None = 0,
    BadCommand = 1,
    BadSize = 2,
    BadResource = 3,
    OutOfMemory = 4,
    ShaderCompile = 5,
    HeapOutOfRange = 6,
    Internal = 0xFF,
}

impl TryFrom<i32> for ErrorCode {
    type Error = i32;
    fn try_from(raw: i32) -> Result<Self, i32> {
        match raw {
            0 => Ok(Self::None),
            1 => Ok(Self::BadCommand),
            2 => Ok(Self::BadSize),
            3 => Ok(Self::BadResource),
            4 => Ok(Self::OutOfMemory),
            5 => Ok(Self::ShaderCompile),
            6 => Ok(Self::HeapOutOfRange),
            0xFF => Ok(Self::Internal),
            other => Err(other),
        }
    }
}

/// ResourceType as the header defines it; read it from the wire with `ResourceType::try_from(raw)`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceType {
    Unknown = 0,
    Buffer = 1,
    Texture1d = 2,
    Texture2d = 3,
    Texture3d = 4,
}

impl TryFrom<i32> for ResourceType {
    type Error = i32;
    fn try_from(raw: i32) -> Result<Self, i32> {
        match raw {
            0 => Ok(Self::Unknown),
            1 => Ok(Self::Buffer),
            2 => Ok(Self::Texture1d),
            3 => Ok(Self::Texture2d),
            4 => Ok(Self::Texture3d),
            other => Err(other),
        }
    }
}

/// PrimitiveTopology as the header defines it; read it from the wire with `PrimitiveTopology::try_from(raw)`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrimitiveTopology {
    Undefined = 0,
    Pointlist = 1,
    Linelist = 2,
    Linestrip = 3,
    Trianglelist = 4,
    Trianglestrip = 5,
    LinelistAdj = 0xA,
    LinestripAdj = 0xB,
    TrianglelistAdj = 0xC,
    TrianglestripAdj = 0xD,
    Patchlist1 = 0x21,
    Patchlist32 = 0x40,
}

impl TryFrom<i32> for PrimitiveTopology {
    type Error = i32;
    fn try_from(raw: i32) -> Result<Self, i32> {
        match raw {
            0 => Ok(Self::Undefined),
            1 => Ok(Self::Pointlist),
            2 => Ok(Self::Linelist),
            3 => Ok(Self::Linestrip),
            4 => Ok(Self::Trianglelist),
            5 => Ok(Self::Trianglestrip),
            0xA => Ok(Self::LinelistAdj),
            0xB => Ok(Self::LinestripAdj),
            0xC => Ok(Self::TrianglelistAdj),
            0xD => Ok(Self::TrianglestripAdj),
            0x21 => Ok(Self::Patchlist1),
            0x40 => Ok(Self::Patchlist32),
            other => Err(other),
        }
    }
}

/// ShaderStage as the header defines it; read it from the wire with `ShaderStage::try_from(raw)`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShaderStage {
    Vertex = 0,
    Hull = 1,
    Domain = 2,
    Geometry = 3,
    Pixel = 4,
    Compute = 5,
    Count = 6,
}

impl TryFrom<i32> for ShaderStage {
    type Error = i32;
    fn try_from(raw: i32) -> Result<Self, i32> {
        match raw {
            0 => Ok(Self::Vertex),
            1 => Ok(Self::Hull),
            2 => Ok(Self::Domain),
            3 => Ok(Self::Geometry),
            4 => Ok(Self::Pixel),
            5 => Ok(Self::Compute),
            6 => Ok(Self::Count),
            other => Err(other),
        }
    }
}

/// MapType as the header defines it; read it from the wire with `MapType::try_from(raw)`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapType {
    Read = 1,
    Write = 2,
    ReadWrite = 3,
    WriteDiscard = 4,
    WriteNoOverwrite = 5,
}

impl TryFrom<i32> for MapType {
    type Error = i32;
    fn try_from(raw: i32) -> Result<Self, i32> {
        match raw {
            1 => Ok(Self::Read),
            2 => Ok(Self::Write),
            3 => Ok(Self::ReadWrite),
            4 => Ok(Self::WriteDiscard),
            5 => Ok(Self::WriteNoOverwrite),
            other => Err(other),
        }
    }
}

/// StateObjectKind as the header defines it; read it from the wire with `StateObjectKind::try_from(raw)`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateObjectKind {
    Blend = 1,
    Rasterizer = 2,
    DepthStencil = 3,
    Sampler = 4,
    InputLayout = 5,
}

impl TryFrom<i32> for StateObjectKind {
    type Error = i32;
    fn try_from(raw: i32) -> Result<Self, i32> {
        match raw {
            1 => Ok(Self::Blend),
            2 => Ok(Self::Rasterizer),
            3 => Ok(Self::DepthStencil),
            4 => Ok(Self::Sampler),
            5 => Ok(Self::InputLayout),
            other => Err(other),
        }
    }
}

/// ViewDimension as the header defines it; read it from the wire with `ViewDimension::try_from(raw)`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViewDimension {
    Unknown = 0,
    Buffer = 1,
    Texture1d = 2,
    Texture1darray = 3,
    Texture2d = 4,
    Texture2darray = 5,
    Texture2dms = 6,
    Texture3d = 8,
    Texturecube = 9,
}

impl TryFrom<i32> for ViewDimension {
    type Error = i32;
    fn try_from(raw: i32) -> Result<Self, i32> {
        match raw {
            0 => Ok(Self::Unknown),
            1 => Ok(Self::Buffer),
            2 => Ok(Self::Texture1d),
            3 => Ok(Self::Texture1darray),
            4 => Ok(Self::Texture2d),
            5 => Ok(Self::Texture2darray),
            6 => Ok(Self::Texture2dms),
            8 => Ok(Self::Texture3d),
            9 => Ok(Self::Texturecube),
            other => Err(other),
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ControlRegionDisplay {
    pub width: u32,
    pub height: u32,
    pub refresh_rate_mhz: u32, // millihertz, e.g. 59940
    pub format: u32, // DXGI_FORMAT
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ControlRegion {
    pub magic: u32, // MAGIC
    pub version: u32, // MAKE_VERSION(major, minor)
    pub features: u64, // FEATURE_* bits
    pub ring_offset: u32, // RING_OFFSET
    pub ring_size: u32, // RING_SIZE, power of two
    pub heap_offset: u32, // HEAP_OFFSET
    pub heap_size: u32, // HEAP_SIZE
    pub producer_ptr: u64,
    pub _pad_producer: [u8; 56],
    pub consumer_ptr: u64,
    pub _pad_consumer: [u8; 56],
    pub guest_fence_request: u64,
    pub _pad_fence_request: [u8; 56],
    pub host_fence_completed: u64,
    pub _pad_fence_completed: [u8; 56],
    pub status: u32, // DeviceStatus
    pub error_code: u32, // ErrorCode
    pub error_data: u64, // meaning depends on error_code
    pub display: ControlRegionDisplay,
    pub reserved: [u8; 3776],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CommandHeader {
    pub r#type: u32, // CMD_* opcode
    pub size: u32, // total bytes, including this header
    pub resource_id: u32, // primary resource, or INVALID_ID
    pub flags: u32, // CMD_FLAG_* flags
}

#[derive(Clone, Copy)]
pub struct Viewport {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub min_depth: f32,
    pub max_depth: f32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Rect {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Box {
    pub left: u32,
    pub top: u32,
    pub front: u32,
    pub right: u32,
    pub bottom: u32,
    pub back: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct RenderTargetBlendDesc {
    pub blend_enable: u8,
    pub src_blend: u8,
    pub dest_blend: u8,
    pub blend_op: u8,
    pub src_blend_alpha: u8,
    pub dest_blend_alpha: u8,
    pub blend_op_alpha: u8,
    pub render_target_write_mask: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct StencilOpDesc {
    pub stencil_fail_op: u8,
    pub stencil_depth_fail_op: u8,
    pub stencil_pass_op: u8,
    pub stencil_func: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct InputElement {
    pub semantic_name: [i8; 16],
    pub semantic_index: u32,
    pub format: u32, // DXGI_FORMAT
    pub input_slot: u8,
    pub input_slot_class: u8, // 0 = per vertex, 1 = per instance
    pub reserved: u16,
    pub aligned_byte_offset: u32,
    pub instance_data_step_rate: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct VertexBufferBinding {
    pub resource_id: u32,
    pub stride: u32,
    pub offset: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union ClearValue {
    pub float32: [f32; 4],
    pub uint32: [u32; 4],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateResource {
    pub hdr: CommandHeader,
    pub resource_type: u32, // ResourceType
    pub format: u32, // DXGI_FORMAT
    pub bind_flags: u32, // BIND_* flags
    pub usage: u32, // D3D11_USAGE
    pub cpu_access_flags: u32, // CPU_ACCESS_* flags
    pub misc_flags: u32, // D3D11_RESOURCE_MISC_FLAG
    pub width: u32, // bytes for buffers
    pub height: u32,
    pub depth_or_array_size: u16,
    pub mip_levels: u16,
    pub sample_count: u8,
    pub sample_quality: u8,
    pub structure_byte_stride: u16, // structured buffers only
    pub heap_offset: u64, // initial data, or NO_HEAP_OFFSET
    pub initial_data_size: u32,
    pub row_pitch: u32,
    pub slice_pitch: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdDestroyResource {
    pub hdr: CommandHeader,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdMapResource {
    pub hdr: CommandHeader,
    pub subresource: u32,
    pub heap_offset: u64,
    pub map_type: u32, // MapType
    pub map_flags: u32,
    pub row_pitch: u32, // out
    pub depth_pitch: u32, // out
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdUnmapResource {
    pub hdr: CommandHeader,
    pub subresource: u32,
    pub discard: bool, // true: drop any staged writes
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdUploadData {
    pub hdr: CommandHeader,
    pub subresource: u32,
    pub dst_offset: u32, // bytes into the subresource
    pub data_size: u32, // bytes of data[] that follow
    pub data: [u32; 0],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCopyResource {
    pub hdr: CommandHeader,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCopySubresourceRegion {
    pub hdr: CommandHeader,
    pub dst_subresource: u32,
    pub dst_x: u32,
    pub dst_y: u32,
    pub dst_z: u32,
    pub src_resource_id: u32,
    pub src_subresource: u32,
    pub has_src_box: u8, // 0: copy the whole subresource
    pub src_box: Box,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdOpenSharedResource {
    pub hdr: CommandHeader,
    pub shared_handle: u64, // host-issued token, not a HANDLE
    pub guest_process_id: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateBlendState {
    pub hdr: CommandHeader,
    pub state_id: u32,
    pub alpha_to_coverage_enable: u8,
    pub independent_blend_enable: u8,
    pub render_target: [RenderTargetBlendDesc; 8],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateRasterizerState {
    pub hdr: CommandHeader,
    pub state_id: u32,
    pub fill_mode: u32, // D3D11_FILL_MODE
    pub cull_mode: u32, // D3D11_CULL_MODE
    pub front_counter_clockwise: bool,
    pub depth_bias: i32,
    pub depth_bias_clamp: f32,
    pub slope_scaled_depth_bias: f32,
    pub depth_clip_enable: u8,
    pub scissor_enable: u8,
    pub multisample_enable: u8,
    pub antialiased_line_enable: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateDSState {
    pub hdr: CommandHeader,
    pub state_id: u32,
    pub depth_enable: u8,
    pub depth_write_mask: u8,
    pub depth_func: u8, // D3D11_COMPARISON_FUNC
    pub stencil_enable: u8,
    pub stencil_read_mask: u8,
    pub stencil_write_mask: u8,
    pub front_face: StencilOpDesc,
    pub back_face: StencilOpDesc,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateSampler {
    pub hdr: CommandHeader,
    pub sampler_id: u32,
    pub filter: u32, // D3D11_FILTER
    pub address_u: u8, // D3D11_TEXTURE_ADDRESS_MODE
    pub address_v: u8,
    pub address_w: u8,
    pub comparison_func: u8,
    pub mip_lod_bias: f32,
    pub max_anisotropy: u32,
    pub border_color: [f32; 4],
    pub min_lod: f32,
    pub max_lod: f32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateInputLayout {
    pub hdr: CommandHeader,
    pub layout_id: u32,
    pub element_count: u32,
    pub vs_signature_shader_id: u32, // shader whose input signature matches
    pub elements: [InputElement; 24],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdDestroyStateObject {
    pub hdr: CommandHeader,
    pub object_kind: u32, // StateObjectKind
    pub object_id: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateRenderTargetView {
    pub hdr: CommandHeader,
    pub view_id: u32,
    pub format: u32, // DXGI_FORMAT
    pub view_dimension: u32, // ViewDimension
    pub mip_slice: u32,
    pub first_array_slice: u32,
    pub array_size: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateDepthStencilView {
    pub hdr: CommandHeader,
    pub view_id: u32,
    pub format: u32, // DXGI_FORMAT
    pub view_dimension: u8, // ViewDimension
    pub read_only_flags: u8, // bit 0 depth, bit 1 stencil
    pub mip_slice: u32,
    pub first_array_slice: u16,
    pub array_size: u16,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateShaderResourceViewAnonymousBuffer {
    pub first_element: u32,
    pub num_elements: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateShaderResourceViewAnonymousTexture2d {
    pub most_detailed_mip: u32,
    pub mip_levels: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateShaderResourceViewAnonymousTexture2dArray {
    pub most_detailed_mip: u32,
    pub mip_levels: u32,
    pub first_array_slice: u32,
    pub array_size: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateShaderResourceViewAnonymousTexture3d {
    pub most_detailed_mip: u32,
    pub mip_levels: u32,
    pub resource_min_lod_clamp: f32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union CmdCreateShaderResourceViewAnonymous {
    pub buffer: CmdCreateShaderResourceViewAnonymousBuffer,
    pub texture2d: CmdCreateShaderResourceViewAnonymousTexture2d,
    pub texture2d_array: CmdCreateShaderResourceViewAnonymousTexture2dArray,
    pub texture3d: CmdCreateShaderResourceViewAnonymousTexture3d,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateShaderResourceView {
    pub hdr: CommandHeader,
    pub view_id: u32,
    pub format: u32, // DXGI_FORMAT
    pub view_dimension: u32, // ViewDimension
    pub anonymous0: CmdCreateShaderResourceViewAnonymous,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateUnorderedAccessViewUBuffer {
    pub first_element: u32,
    pub num_elements: u32,
    pub raw: u8,
    pub append: u8,
    pub counter: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateUnorderedAccessViewUTexture3d {
    pub mip_slice: u32,
    pub first_w_slice: u32,
    pub w_size: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union CmdCreateUnorderedAccessViewU {
    pub buffer: CmdCreateUnorderedAccessViewUBuffer,
    pub texture3d: CmdCreateUnorderedAccessViewUTexture3d,
    pub opaque: [u64; 2], // forces 8-byte alignment of the arm
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateUnorderedAccessView {
    pub hdr: CommandHeader,
    pub view_id: u32,
    pub format: u32, // DXGI_FORMAT
    pub view_dimension: u16, // ViewDimension
    pub u: CmdCreateUnorderedAccessViewU,
    pub initial_counter: u32, // append/consume buffers only
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdDestroyView {
    pub hdr: CommandHeader,
    pub view_id: u32,
    pub view_kind: u8, // 0 RTV, 1 DSV, 2 SRV, 3 UAV
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdCreateShader {
    pub hdr: CommandHeader,
    pub shader_id: u32,
    pub stage: u32, // ShaderStage
    pub bytecode_size: u32,
    pub bytecode_heap_offset: u64,
    pub shader_model_major: u8,
    pub shader_model_minor: u8,
    pub num_class_instances: u16,
    pub bytecode_hash: [u8; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdDestroyShader {
    pub hdr: CommandHeader,
    pub shader_id: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetRenderTargets {
    pub hdr: CommandHeader,
    pub num_rtvs: u32,
    pub rtv_ids: [u32; 8],
    pub dsv_id: u32,
    pub num_uavs: u32,
    pub uav_ids: [u32; 8],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetViewports {
    pub hdr: CommandHeader,
    pub num_viewports: u32,
    pub viewports: [Viewport; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetScissorRects {
    pub hdr: CommandHeader,
    pub num_rects: u32,
    pub rects: [Rect; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetBlendState {
    pub hdr: CommandHeader,
    pub state_id: u32,
    pub blend_factor: [f32; 4],
    pub sample_mask: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetRasterizerState {
    pub hdr: CommandHeader,
    pub state_id: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetDepthStencilState {
    pub hdr: CommandHeader,
    pub state_id: u32,
    pub stencil_ref: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetShader {
    pub hdr: CommandHeader,
    pub stage: u32, // ShaderStage
    pub shader_id: u32,
    pub num_class_instances: u16,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetSamplerState {
    pub hdr: CommandHeader,
    pub stage: u32, // ShaderStage
    pub start_slot: u32,
    pub num_samplers: u32,
    pub sampler_ids: [u32; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetShaderResources {
    pub hdr: CommandHeader,
    pub stage: u8, // ShaderStage
    pub start_slot: u8,
    pub num_views: u16,
    pub view_ids: [u32; 32],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetConstantBuffers {
    pub hdr: CommandHeader,
    pub stage: u32, // ShaderStage
    pub start_slot: u32,
    pub num_buffers: u32,
    pub buffer_ids: [u32; 14],
    pub ranges: [[u32; 2]; 14],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetVertexBuffers {
    pub hdr: CommandHeader,
    pub start_slot: u32,
    pub num_buffers: u32,
    pub buffers: [VertexBufferBinding; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetIndexBuffer {
    pub hdr: CommandHeader,
    pub format: u32, // DXGI_FORMAT_R16_UINT or R32_UINT
    pub offset: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetPrimitiveTopology {
    pub hdr: CommandHeader,
    pub topology: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetInputLayout {
    pub hdr: CommandHeader,
    pub layout_id: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdSetInlineConstants {
    pub hdr: CommandHeader,
    pub stage: u32, // ShaderStage
    pub slot: u32,
    pub num_vectors: u32,
    pub constants: [[u32; 4]; 14],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdDraw {
    pub hdr: CommandHeader,
    pub vertex_count: u32,
    pub start_vertex: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdDrawIndexed {
    pub hdr: CommandHeader,
    pub start_index: u32,
    pub index_count: u32,
    pub base_vertex: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdDrawInstanced {
    pub hdr: CommandHeader,
    pub vertex_count_per_instance: u32,
    pub instance_count: u32,
    pub start_vertex: u32,
    pub start_instance: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdDrawIndexedInstanced {
    pub hdr: CommandHeader,
    pub index_count_per_instance: u32,
    pub instance_count: u32,
    pub start_index: u32,
    pub base_vertex: i32,
    pub start_instance: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdDispatch {
    pub hdr: CommandHeader,
    pub thread_group_count: [u32; 3], // x, y, z
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdClearRenderTargetView {
    pub hdr: CommandHeader,
    pub rtv_id: u32,
    pub color: ClearValue,
    pub num_rects: u32,
    pub rects: [Rect; 4],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdClearDepthStencil {
    pub hdr: CommandHeader,
    pub dsv_id: u32,
    pub clear_flags: u32, // CLEAR_* flags
    pub depth: f32,
    pub stencil: u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdFence {
    pub hdr: CommandHeader,
    pub fence_value: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdPresent {
    pub hdr: CommandHeader,
    pub swapchain_id: u32,
    pub vsync_interval: u32, // 0 = immediate, 1-4 = vblanks
    pub present_flags: u32, // PRESENT_FLAG_* flags
    pub src_width: u32,
    pub src_height: u32,
    pub dest_x: i32,
    pub dest_y: i32,
    pub fence_value: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdFlush {
    pub hdr: CommandHeader,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct CmdWaitFence {
    pub hdr: CommandHeader,
    pub fence_value: u64,
    pub timeout_ms: u32,
}

