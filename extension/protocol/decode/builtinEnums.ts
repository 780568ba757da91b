// Enumerations protocol headers cite in comments (`uint32_t format; /* DXGI_FORMAT */`)
// without declaring them, because they come from the Windows SDK: the full DXGI_FORMAT
// list and the D3D11 enums and flag sets paravirtual GPU commands carry.

export interface BuiltinEnum {
  readonly name: string;
  readonly kind: 'enum' | 'flags';
  readonly values: readonly (readonly [string, bigint])[];
}

const DXGI_FORMAT_NAMES: readonly (readonly [number, string])[] = [
  [0, 'UNKNOWN'],
  ...listFrom(1, ['R32G32B32A32_TYPELESS', 'R32G32B32A32_FLOAT', 'R32G32B32A32_UINT', 'R32G32B32A32_SINT', 'R32G32B32_TYPELESS', 'R32G32B32_FLOAT', 'R32G32B32_UINT', 'R32G32B32_SINT']),
  ...listFrom(9, ['R16G16B16A16_TYPELESS', 'R16G16B16A16_FLOAT', 'R16G16B16A16_UNORM', 'R16G16B16A16_UINT', 'R16G16B16A16_SNORM', 'R16G16B16A16_SINT']),
  ...listFrom(15, ['R32G32_TYPELESS', 'R32G32_FLOAT', 'R32G32_UINT', 'R32G32_SINT', 'R32G8X24_TYPELESS', 'D32_FLOAT_S8X24_UINT', 'R32_FLOAT_X8X24_TYPELESS', 'X32_TYPELESS_G8X24_UINT']),
  ...listFrom(23, ['R10G10B10A2_TYPELESS', 'R10G10B10A2_UNORM', 'R10G10B10A2_UINT', 'R11G11B10_FLOAT']),
  ...listFrom(27, ['R8G8B8A8_TYPELESS', 'R8G8B8A8_UNORM', 'R8G8B8A8_UNORM_SRGB', 'R8G8B8A8_UINT', 'R8G8B8A8_SNORM', 'R8G8B8A8_SINT']),
  ...listFrom(33, ['R16G16_TYPELESS', 'R16G16_FLOAT', 'R16G16_UNORM', 'R16G16_UINT', 'R16G16_SNORM', 'R16G16_SINT']),
  ...listFrom(39, ['R32_TYPELESS', 'D32_FLOAT', 'R32_FLOAT', 'R32_UINT', 'R32_SINT', 'R24G8_TYPELESS', 'D24_UNORM_S8_UINT', 'R24_UNORM_X8_TYPELESS', 'X24_TYPELESS_G8_UINT']),
  ...listFrom(48, ['R8G8_TYPELESS', 'R8G8_UNORM', 'R8G8_UINT', 'R8G8_SNORM', 'R8G8_SINT']),
  ...listFrom(53, ['R16_TYPELESS', 'R16_FLOAT', 'D16_UNORM', 'R16_UNORM', 'R16_UINT', 'R16_SNORM', 'R16_SINT']),
  ...listFrom(60, ['R8_TYPELESS', 'R8_UNORM', 'R8_UINT', 'R8_SNORM', 'R8_SINT', 'A8_UNORM', 'R1_UNORM', 'R9G9B9E5_SHAREDEXP', 'R8G8_B8G8_UNORM', 'G8R8_G8B8_UNORM']),
  ...listFrom(70, ['BC1_TYPELESS', 'BC1_UNORM', 'BC1_UNORM_SRGB', 'BC2_TYPELESS', 'BC2_UNORM', 'BC2_UNORM_SRGB', 'BC3_TYPELESS', 'BC3_UNORM', 'BC3_UNORM_SRGB', 'BC4_TYPELESS', 'BC4_UNORM', 'BC4_SNORM', 'BC5_TYPELESS', 'BC5_UNORM', 'BC5_SNORM']),
  ...listFrom(85, ['B5G6R5_UNORM', 'B5G5R5A1_UNORM', 'B8G8R8A8_UNORM', 'B8G8R8X8_UNORM', 'R10G10B10_XR_BIAS_A2_UNORM', 'B8G8R8A8_TYPELESS', 'B8G8R8A8_UNORM_SRGB', 'B8G8R8X8_TYPELESS', 'B8G8R8X8_UNORM_SRGB']),
  ...listFrom(94, ['BC6H_TYPELESS', 'BC6H_UF16', 'BC6H_SF16', 'BC7_TYPELESS', 'BC7_UNORM', 'BC7_UNORM_SRGB']),
  ...listFrom(100, ['AYUV', 'Y410', 'Y416', 'NV12', 'P010', 'P016', '420_OPAQUE', 'YUY2', 'Y210', 'Y216', 'NV11', 'AI44', 'IA44', 'P8', 'A8P8', 'B4G4R4A4_UNORM']),
  ...listFrom(130, ['P208', 'V208', 'V408']),
  ...listFrom(189, ['SAMPLER_FEEDBACK_MIN_MIP_OPAQUE', 'SAMPLER_FEEDBACK_MIP_REGION_USED_OPAQUE', 'A4B4G4R4_UNORM']),
];

function listFrom(first: number, names: readonly string[]): (readonly [number, string])[] {
  return names.map((name, i) => [first + i, name] as const);
}

function table(name: string, kind: BuiltinEnum['kind'], prefix: string, entries: readonly (readonly [number, string])[]): BuiltinEnum {
  return { name, kind, values: entries.map(([value, suffix]) => [`${prefix}${suffix}`, BigInt(value)] as const) };
}

export const BUILTIN_ENUMS: readonly BuiltinEnum[] = [
  table('DXGI_FORMAT', 'enum', 'DXGI_FORMAT_', DXGI_FORMAT_NAMES),
  table('D3D11_USAGE', 'enum', 'D3D11_USAGE_', listFrom(0, ['DEFAULT', 'IMMUTABLE', 'DYNAMIC', 'STAGING'])),
  table('D3D11_BIND_FLAG', 'flags', 'D3D11_BIND_', [[0x1, 'VERTEX_BUFFER'], [0x2, 'INDEX_BUFFER'], [0x4, 'CONSTANT_BUFFER'], [0x8, 'SHADER_RESOURCE'], [0x10, 'STREAM_OUTPUT'], [0x20, 'RENDER_TARGET'], [0x40, 'DEPTH_STENCIL'], [0x80, 'UNORDERED_ACCESS'], [0x200, 'DECODER'], [0x400, 'VIDEO_ENCODER']]),
  table('D3D11_CPU_ACCESS_FLAG', 'flags', 'D3D11_CPU_ACCESS_', [[0x10000, 'WRITE'], [0x20000, 'READ']]),
  table('D3D11_RESOURCE_MISC_FLAG', 'flags', 'D3D11_RESOURCE_MISC_', [[0x1, 'GENERATE_MIPS'], [0x2, 'SHARED'], [0x4, 'TEXTURECUBE'], [0x10, 'DRAWINDIRECT_ARGS'], [0x20, 'BUFFER_ALLOW_RAW_VIEWS'], [0x40, 'BUFFER_STRUCTURED'], [0x80, 'RESOURCE_CLAMP'], [0x100, 'SHARED_KEYEDMUTEX'], [0x200, 'GDI_COMPATIBLE'], [0x800, 'SHARED_NTHANDLE'], [0x1000, 'RESTRICTED_CONTENT'], [0x2000, 'RESTRICT_SHARED_RESOURCE'], [0x4000, 'RESTRICT_SHARED_RESOURCE_DRIVER'], [0x8000, 'GUARDED'], [0x20000, 'TILE_POOL'], [0x40000, 'TILED'], [0x80000, 'HW_PROTECTED']]),
  table('D3D11_PRIMITIVE_TOPOLOGY', 'enum', 'D3D11_PRIMITIVE_TOPOLOGY_', [[0, 'UNDEFINED'], [1, 'POINTLIST'], [2, 'LINELIST'], [3, 'LINESTRIP'], [4, 'TRIANGLELIST'], [5, 'TRIANGLESTRIP'], [10, 'LINELIST_ADJ'], [11, 'LINESTRIP_ADJ'], [12, 'TRIANGLELIST_ADJ'], [13, 'TRIANGLESTRIP_ADJ'], ...Array.from({ length: 32 }, (_, i) => [33 + i, `${i + 1}_CONTROL_POINT_PATCHLIST`] as const)]),
  table('D3D11_MAP', 'enum', 'D3D11_MAP_', listFrom(1, ['READ', 'WRITE', 'READ_WRITE', 'WRITE_DISCARD', 'WRITE_NO_OVERWRITE'])),
  table('D3D11_COMPARISON_FUNC', 'enum', 'D3D11_COMPARISON_', listFrom(1, ['NEVER', 'LESS', 'EQUAL', 'LESS_EQUAL', 'GREATER', 'NOT_EQUAL', 'GREATER_EQUAL', 'ALWAYS'])),
  table('D3D11_BLEND', 'enum', 'D3D11_BLEND_', listFrom(1, ['ZERO', 'ONE', 'SRC_COLOR', 'INV_SRC_COLOR', 'SRC_ALPHA', 'INV_SRC_ALPHA', 'DEST_ALPHA', 'INV_DEST_ALPHA', 'DEST_COLOR', 'INV_DEST_COLOR', 'SRC_ALPHA_SAT', '', '', 'BLEND_FACTOR', 'INV_BLEND_FACTOR', 'SRC1_COLOR', 'INV_SRC1_COLOR', 'SRC1_ALPHA', 'INV_SRC1_ALPHA']).filter(([, n]) => n !== '')),
  table('D3D11_BLEND_OP', 'enum', 'D3D11_BLEND_OP_', listFrom(1, ['ADD', 'SUBTRACT', 'REV_SUBTRACT', 'MIN', 'MAX'])),
  table('D3D11_CULL_MODE', 'enum', 'D3D11_CULL_', listFrom(1, ['NONE', 'FRONT', 'BACK'])),
  table('D3D11_FILL_MODE', 'enum', 'D3D11_FILL_', [[2, 'WIREFRAME'], [3, 'SOLID']]),
  table('D3D11_TEXTURE_ADDRESS_MODE', 'enum', 'D3D11_TEXTURE_ADDRESS_', listFrom(1, ['WRAP', 'MIRROR', 'CLAMP', 'BORDER', 'MIRROR_ONCE'])),
  table('D3D11_STENCIL_OP', 'enum', 'D3D11_STENCIL_OP_', listFrom(1, ['KEEP', 'ZERO', 'REPLACE', 'INCR_SAT', 'DECR_SAT', 'INVERT', 'INCR', 'DECR'])),
];

export function builtinEnum(name: string): BuiltinEnum | undefined {
  return BUILTIN_ENUMS.find((e) => e.name === name);
}
