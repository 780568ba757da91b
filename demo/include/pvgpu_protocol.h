/*
 * pvgpu_protocol.h - PV-GPU guest <-> host wire protocol
 *
 * This header is shared verbatim between the guest kernel-mode / user-mode
 * drivers and the host-side backend. Everything in here describes memory that
 * both sides read and write, so the layout of every structure is ABI:
 *
 *   - Only fixed-width <stdint.h> types are used (never `long`, `size_t` or
 *     pointers), so a 64-bit Windows guest (MSVC/LLP64) and a 64-bit Linux host
 *     (System V/LP64) agree on every size and offset.
 *   - Structures use natural alignment; no #pragma pack, no bit-fields.
 *   - Any change to an existing structure requires a PVGPU_VERSION_MAJOR bump.
 *     New commands and new trailing fields in the control region only need a
 *     minor bump.
 *
 * Shared memory layout (one BAR, PVGPU_SHMEM_SIZE bytes):
 *
 *   0x00000000  +---------------------------+
 *               | control region (4 KiB)    |  PvgpuControlRegion
 *   0x00001000  +---------------------------+
 *               | command ring (16 MiB)     |  stream of PvgpuCmd* packets
 *   0x01001000  +---------------------------+
 *               | resource heap             |  upload/readback staging,
 *               |                           |  shader bytecode, initial data
 *   end of BAR  +---------------------------+
 */
#pragma once
#ifndef PVGPU_PROTOCOL_H
#define PVGPU_PROTOCOL_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

/* ------------------------------------------------------------------------ */
/* Identification and versioning                                            */
/* ------------------------------------------------------------------------ */

/** Value of PvgpuControlRegion.magic: the ASCII bytes "PVGP". */
#define PVGPU_MAGIC                 0x50564750u

#define PVGPU_VERSION_MAJOR         1u
#define PVGPU_VERSION_MINOR         3u

/** Packs a protocol version as (major << 16) | minor. */
#define PVGPU_MAKE_VERSION(maj, min) \
    ((((uint32_t)(maj)) << 16) | (((uint32_t)(min)) & 0xFFFFu))

#define PVGPU_VERSION_GET_MAJOR(v)  (((uint32_t)(v)) >> 16)
#define PVGPU_VERSION_GET_MINOR(v)  (((uint32_t)(v)) & 0xFFFFu)

/** The version this header describes. */
#define PVGPU_VERSION \
    PVGPU_MAKE_VERSION(PVGPU_VERSION_MAJOR, PVGPU_VERSION_MINOR)

/* ------------------------------------------------------------------------ */
/* Shared memory geometry                                                   */
/* ------------------------------------------------------------------------ */

#define PVGPU_PAGE_SIZE             4096u
#define PVGPU_CACHE_LINE_SIZE       64u

#define PVGPU_SHMEM_SIZE            (256u * 1024u * 1024u)

#define PVGPU_CONTROL_REGION_OFFSET 0x0u
#define PVGPU_CONTROL_REGION_SIZE   PVGPU_PAGE_SIZE

#define PVGPU_RING_OFFSET \
    (PVGPU_CONTROL_REGION_OFFSET + PVGPU_CONTROL_REGION_SIZE)   /* 0x1000 */
#define PVGPU_RING_SIZE             (16u * 1024u * 1024u)
#define PVGPU_RING_MASK             (PVGPU_RING_SIZE - 1u)

#define PVGPU_HEAP_OFFSET           (PVGPU_RING_OFFSET + PVGPU_RING_SIZE)
#define PVGPU_HEAP_SIZE             (PVGPU_SHMEM_SIZE - PVGPU_HEAP_OFFSET)

/**
 * Commands are written back to back with no padding and no wrap marker: the
 * next command starts exactly PvgpuCommandHeader.size bytes after this one,
 * and a command may straddle the end of the ring and continue at its start.
 * Readers walk by the size field and copy straddling commands.
 */

/* ------------------------------------------------------------------------ */
/* Feature bits (PvgpuControlRegion.features)                               */
/* ------------------------------------------------------------------------ */

#define PVGPU_FEATURE_D3D11         (1ull << 0)
#define PVGPU_FEATURE_COMPUTE       (1ull << 1)
#define PVGPU_FEATURE_TESSELLATION  (1ull << 2)
#define PVGPU_FEATURE_SHARED_RES    (1ull << 3)
#define PVGPU_FEATURE_HW_CURSOR     (1ull << 4)
#define PVGPU_FEATURE_FENCE_IRQ     (1ull << 5)
#define PVGPU_FEATURE_VSYNC         (1ull << 6)
#define PVGPU_FEATURE_DEBUG_LAYER   (1ull << 63)

/* ------------------------------------------------------------------------ */
/* Device status and errors                                                 */
/* ------------------------------------------------------------------------ */

/** PvgpuControlRegion.status. Written by the host only. */
typedef enum PvgpuDeviceStatus {
    PVGPU_STATUS_RESET       = 0,   /**< Host has not initialised the region. */
    PVGPU_STATUS_READY       = 1,   /**< Ring is live; guest may submit.       */
    PVGPU_STATUS_ERROR       = 2,   /**< See error_code / error_data.          */
    PVGPU_STATUS_DEVICE_LOST = 3,   /**< Guest must tear down and re-init.     */
} PvgpuDeviceStatus;

/** PvgpuControlRegion.error_code. */
typedef enum PvgpuErrorCode {
    PVGPU_ERROR_NONE              = 0,
    PVGPU_ERROR_BAD_COMMAND       = 1,  /**< error_data = ring offset of cmd.   */
    PVGPU_ERROR_BAD_SIZE          = 2,  /**< error_data = ring offset of cmd.   */
    PVGPU_ERROR_BAD_RESOURCE      = 3,  /**< error_data = resource id.          */
    PVGPU_ERROR_OUT_OF_MEMORY     = 4,  /**< error_data = bytes requested.      */
    PVGPU_ERROR_SHADER_COMPILE    = 5,  /**< error_data = shader id.            */
    PVGPU_ERROR_HEAP_OUT_OF_RANGE = 6,  /**< error_data = offending heap offset. */
    PVGPU_ERROR_INTERNAL          = 0xFF,
} PvgpuErrorCode;

/* ------------------------------------------------------------------------ */
/* Control region                                                           */
/* ------------------------------------------------------------------------ */

/**
 * PvgpuControlRegion - the first 4 KiB page of the shared memory BAR.
 *
 * The ring pointers and fence values are each placed on their own 64-byte
 * cache line so that the guest (which writes producer_ptr and
 * guest_fence_request) and the host (which writes consumer_ptr and
 * host_fence_completed) never false-share a line.
 *
 * producer_ptr and consumer_ptr are monotonically increasing byte counters.
 * They never wrap back to zero; the position inside the ring is
 * (ptr & PVGPU_RING_MASK). The ring is empty when producer == consumer and
 * full when producer - consumer == ring_size.
 */
typedef struct PvgpuControlRegion {
    /* 0x000: identification, written once by the host at reset */
    uint32_t magic;                 /* PVGPU_MAGIC */
    uint32_t version;               /* PVGPU_MAKE_VERSION(major, minor) */
    uint64_t features;              /* PVGPU_FEATURE_* bits */

    /* 0x010: geometry, byte offsets from the start of the BAR */
    uint32_t ring_offset;           /* PVGPU_RING_OFFSET */
    uint32_t ring_size;             /* PVGPU_RING_SIZE, power of two */
    uint32_t heap_offset;           /* PVGPU_HEAP_OFFSET */
    uint32_t heap_size;             /* PVGPU_HEAP_SIZE */

    /* 0x020: guest-written; total bytes ever submitted */
    uint64_t producer_ptr;
    uint8_t  _pad_producer[PVGPU_CACHE_LINE_SIZE - sizeof(uint64_t)];

    /* 0x060: host-written; total bytes ever consumed */
    uint64_t consumer_ptr;
    uint8_t  _pad_consumer[PVGPU_CACHE_LINE_SIZE - sizeof(uint64_t)];

    /* 0x0A0: guest-written; highest fence value the guest is waiting on */
    uint64_t guest_fence_request;
    uint8_t  _pad_fence_request[PVGPU_CACHE_LINE_SIZE - sizeof(uint64_t)];

    /* 0x0E0: host-written; highest PvgpuCmdFence.fence_value retired */
    uint64_t host_fence_completed;
    uint8_t  _pad_fence_completed[PVGPU_CACHE_LINE_SIZE - sizeof(uint64_t)];

    /* 0x120: device state, host-written */
    uint32_t status;                /* PvgpuDeviceStatus */
    uint32_t error_code;            /* PvgpuErrorCode */
    uint64_t error_data;            /* meaning depends on error_code */

    /* 0x130: current scan-out mode, host-written on mode change */
    struct {
        uint32_t width;
        uint32_t height;
        uint32_t refresh_rate_mhz;  /* millihertz, e.g. 59940 */
        uint32_t format;            /* DXGI_FORMAT */
    } display;

    /* 0x140: reserved for future minor versions, must be zero */
    uint8_t  reserved[PVGPU_CONTROL_REGION_SIZE - 0x140u];
} PvgpuControlRegion;

_Static_assert(sizeof(PvgpuControlRegion) == 4096,
               "PvgpuControlRegion must be exactly one 4 KiB page");
_Static_assert(offsetof(PvgpuControlRegion, producer_ptr) == 0x20,
               "producer_ptr must start cache line 0x20");
_Static_assert(offsetof(PvgpuControlRegion, consumer_ptr) == 0x60,
               "consumer_ptr must start cache line 0x60");
_Static_assert(offsetof(PvgpuControlRegion, guest_fence_request) == 0xA0,
               "guest_fence_request must start cache line 0xA0");
_Static_assert(offsetof(PvgpuControlRegion, host_fence_completed) == 0xE0,
               "host_fence_completed must start cache line 0xE0");
_Static_assert(offsetof(PvgpuControlRegion, status) == 0x120,
               "status block must follow the fence cache lines");

/* ------------------------------------------------------------------------ */
/* Command header                                                           */
/* ------------------------------------------------------------------------ */

/** Host processes the command before the guest's submit call returns. */
#define PVGPU_CMD_FLAG_SYNC         0x1u
/** Do not signal an implicit fence after this command. */
#define PVGPU_CMD_FLAG_NO_FENCE     0x2u
/** Mask of all defined flags; the host rejects anything else. */
#define PVGPU_CMD_FLAG_MASK         (PVGPU_CMD_FLAG_SYNC | PVGPU_CMD_FLAG_NO_FENCE)

/** Resource id 0 is never allocated and means "no resource". */
#define PVGPU_INVALID_ID            0u

/**
 * PvgpuCommandHeader - first 16 bytes of every command in the ring.
 *
 * `size` is the total size of the command in bytes including this header and
 * any variable-length payload. The next command starts at
 * size bytes after this one (see the ring layout above).
 */
typedef struct PvgpuCommandHeader {
    uint32_t type;          /* PVGPU_CMD_* opcode */
    uint32_t size;          /* total bytes, including this header */
    uint32_t resource_id;   /* primary resource, or PVGPU_INVALID_ID */
    uint32_t flags;         /* PVGPU_CMD_FLAG_* flags */
} PvgpuCommandHeader;

_Static_assert(sizeof(PvgpuCommandHeader) == 16,
               "PvgpuCommandHeader is 16 bytes on the wire");

/* ------------------------------------------------------------------------ */
/* Opcodes                                                                  */
/*                                                                          */
/* The payload struct for PVGPU_CMD_FOO_BAR is PvgpuCmdFooBar unless noted. */
/* ------------------------------------------------------------------------ */

/* Resources: 0x0001 - 0x000F */
#define PVGPU_CMD_CREATE_RESOURCE               0x0001u
#define PVGPU_CMD_DESTROY_RESOURCE              0x0002u
#define PVGPU_CMD_MAP_RESOURCE                  0x0003u
#define PVGPU_CMD_UNMAP_RESOURCE                0x0004u
#define PVGPU_CMD_UPLOAD_DATA                   0x0005u
#define PVGPU_CMD_COPY_RESOURCE                 0x0006u
#define PVGPU_CMD_COPY_SUBRESOURCE_REGION       0x0007u
#define PVGPU_CMD_OPEN_SHARED_RESOURCE          0x0008u

/* Pipeline state objects: 0x0010 - 0x001F */
#define PVGPU_CMD_CREATE_BLEND_STATE            0x0010u
#define PVGPU_CMD_CREATE_RASTERIZER_STATE       0x0011u
#define PVGPU_CMD_CREATE_DEPTH_STENCIL_STATE    0x0012u  /* PvgpuCmdCreateDSState */
#define PVGPU_CMD_CREATE_SAMPLER                0x0013u
#define PVGPU_CMD_CREATE_INPUT_LAYOUT           0x0014u
#define PVGPU_CMD_DESTROY_STATE_OBJECT          0x0015u

/* Views: 0x0020 - 0x002F */
#define PVGPU_CMD_CREATE_RENDER_TARGET_VIEW     0x0020u
#define PVGPU_CMD_CREATE_DEPTH_STENCIL_VIEW     0x0021u
#define PVGPU_CMD_CREATE_SHADER_RESOURCE_VIEW   0x0022u
#define PVGPU_CMD_CREATE_UNORDERED_ACCESS_VIEW  0x0023u
#define PVGPU_CMD_DESTROY_VIEW                  0x0024u

/* Shaders: 0x0030 - 0x003F */
#define PVGPU_CMD_CREATE_SHADER                 0x0030u
#define PVGPU_CMD_DESTROY_SHADER                0x0031u

/* Pipeline binding state: 0x0101 - 0x01FF */
#define PVGPU_CMD_SET_RENDER_TARGETS            0x0101u
#define PVGPU_CMD_SET_VIEWPORTS                 0x0102u
#define PVGPU_CMD_SET_SCISSOR_RECTS             0x0103u
#define PVGPU_CMD_SET_BLEND_STATE               0x0104u
#define PVGPU_CMD_SET_RASTERIZER_STATE          0x0105u
#define PVGPU_CMD_SET_DEPTH_STENCIL_STATE       0x0106u
#define PVGPU_CMD_SET_SHADER                    0x0107u
#define PVGPU_CMD_SET_SAMPLERS                  0x0108u  /* PvgpuCmdSetSamplerState */
#define PVGPU_CMD_SET_SHADER_RESOURCES          0x0109u
#define PVGPU_CMD_SET_CONSTANT_BUFFERS          0x010Au
#define PVGPU_CMD_SET_VERTEX_BUFFERS            0x010Bu
#define PVGPU_CMD_SET_INDEX_BUFFER              0x010Cu
#define PVGPU_CMD_SET_PRIMITIVE_TOPOLOGY        0x010Du
#define PVGPU_CMD_SET_INPUT_LAYOUT              0x010Eu
#define PVGPU_CMD_SET_INLINE_CONSTANTS          0x010Fu

/* Draws, dispatches and clears: 0x0201 - 0x02FF */
#define PVGPU_CMD_DRAW                          0x0201u
#define PVGPU_CMD_DRAW_INDEXED                  0x0202u
#define PVGPU_CMD_DRAW_INSTANCED                0x0203u
#define PVGPU_CMD_DRAW_INDEXED_INSTANCED        0x0204u
#define PVGPU_CMD_DISPATCH                      0x0205u
#define PVGPU_CMD_CLEAR_RENDER_TARGET_VIEW      0x0206u
#define PVGPU_CMD_CLEAR_DEPTH_STENCIL_VIEW      0x0207u  /* PvgpuCmdClearDepthStencil */

/* Synchronisation and presentation: 0x0301 - 0x03FF */
#define PVGPU_CMD_FENCE                         0x0301u
#define PVGPU_CMD_PRESENT                       0x0302u
#define PVGPU_CMD_FLUSH                         0x0303u
#define PVGPU_CMD_WAIT_FENCE                    0x0304u

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

#define PVGPU_MAX_RENDER_TARGETS        8
#define PVGPU_MAX_UAV_SLOTS             PVGPU_MAX_RENDER_TARGETS
#define PVGPU_MAX_VIEWPORTS             16
#define PVGPU_MAX_SCISSOR_RECTS         PVGPU_MAX_VIEWPORTS
#define PVGPU_MAX_SAMPLERS              16
#define PVGPU_MAX_SHADER_RESOURCES      32
#define PVGPU_MAX_CB                    14      /* constant buffer slots */
#define PVGPU_MAX_VERTEX_BUFFERS        16
#define PVGPU_MAX_INPUT_ELEMENTS        24
#define PVGPU_MAX_SEMANTIC_NAME         16      /* including the NUL */
#define PVGPU_MAX_CLEAR_RECTS           4
#define PVGPU_SHADER_HASH_SIZE          16      /* DXBC container checksum */

/* ------------------------------------------------------------------------ */
/* Enumerations and flag sets used by command payloads                      */
/* ------------------------------------------------------------------------ */

/** PvgpuCmdCreateResource.resource_type. */
typedef enum PvgpuResourceType {
    PVGPU_RESOURCE_TYPE_UNKNOWN   = 0,
    PVGPU_RESOURCE_TYPE_BUFFER    = 1,
    PVGPU_RESOURCE_TYPE_TEXTURE1D = 2,
    PVGPU_RESOURCE_TYPE_TEXTURE2D = 3,
    PVGPU_RESOURCE_TYPE_TEXTURE3D = 4,
} PvgpuResourceType;

/** Mirrors D3D11_PRIMITIVE_TOPOLOGY for the values the host supports. */
typedef enum PvgpuPrimitiveTopology {
    PVGPU_TOPOLOGY_UNDEFINED          = 0,
    PVGPU_TOPOLOGY_POINTLIST          = 1,
    PVGPU_TOPOLOGY_LINELIST           = 2,
    PVGPU_TOPOLOGY_LINESTRIP          = 3,
    PVGPU_TOPOLOGY_TRIANGLELIST       = 4,
    PVGPU_TOPOLOGY_TRIANGLESTRIP      = 5,
    PVGPU_TOPOLOGY_LINELIST_ADJ       = 10,
    PVGPU_TOPOLOGY_LINESTRIP_ADJ      = 11,
    PVGPU_TOPOLOGY_TRIANGLELIST_ADJ   = 12,
    PVGPU_TOPOLOGY_TRIANGLESTRIP_ADJ  = 13,
    PVGPU_TOPOLOGY_PATCHLIST_1        = 33,
    PVGPU_TOPOLOGY_PATCHLIST_32       = PVGPU_TOPOLOGY_PATCHLIST_1 + 31,
} PvgpuPrimitiveTopology;

/** Shader stage selector used by the SET_* binding commands. */
typedef enum PvgpuShaderStage {
    PVGPU_STAGE_VERTEX   = 0,
    PVGPU_STAGE_HULL     = 1,
    PVGPU_STAGE_DOMAIN   = 2,
    PVGPU_STAGE_GEOMETRY = 3,
    PVGPU_STAGE_PIXEL    = 4,
    PVGPU_STAGE_COMPUTE  = 5,
    PVGPU_STAGE_COUNT
} PvgpuShaderStage;

/** PvgpuCmdMapResource.map_type; values match D3D11_MAP. */
typedef enum PvgpuMapType {
    PVGPU_MAP_READ               = 1,
    PVGPU_MAP_WRITE              = 2,
    PVGPU_MAP_READ_WRITE         = 3,
    PVGPU_MAP_WRITE_DISCARD      = 4,
    PVGPU_MAP_WRITE_NO_OVERWRITE = 5,
} PvgpuMapType;

/** Which kind of object PvgpuCmdDestroyStateObject refers to. */
typedef enum PvgpuStateObjectKind {
    PVGPU_STATE_OBJECT_BLEND         = 1,
    PVGPU_STATE_OBJECT_RASTERIZER    = 2,
    PVGPU_STATE_OBJECT_DEPTH_STENCIL = 3,
    PVGPU_STATE_OBJECT_SAMPLER       = 4,
    PVGPU_STATE_OBJECT_INPUT_LAYOUT  = 5,
} PvgpuStateObjectKind;

/** View dimensions for the CREATE_*_VIEW commands. */
typedef enum PvgpuViewDimension {
    PVGPU_VIEW_DIMENSION_UNKNOWN          = 0,
    PVGPU_VIEW_DIMENSION_BUFFER           = 1,
    PVGPU_VIEW_DIMENSION_TEXTURE1D        = 2,
    PVGPU_VIEW_DIMENSION_TEXTURE1DARRAY   = 3,
    PVGPU_VIEW_DIMENSION_TEXTURE2D        = 4,
    PVGPU_VIEW_DIMENSION_TEXTURE2DARRAY   = 5,
    PVGPU_VIEW_DIMENSION_TEXTURE2DMS      = 6,
    PVGPU_VIEW_DIMENSION_TEXTURE3D        = 8,
    PVGPU_VIEW_DIMENSION_TEXTURECUBE      = 9,
} PvgpuViewDimension;

/* PvgpuCmdCreateResource.bind_flags; values match D3D11_BIND_FLAG. */
#define PVGPU_BIND_VERTEX_BUFFER        0x001u
#define PVGPU_BIND_INDEX_BUFFER         0x002u
#define PVGPU_BIND_CONSTANT_BUFFER      0x004u
#define PVGPU_BIND_SHADER_RESOURCE      0x008u
#define PVGPU_BIND_STREAM_OUTPUT        0x010u
#define PVGPU_BIND_RENDER_TARGET        0x020u
#define PVGPU_BIND_DEPTH_STENCIL        0x040u
#define PVGPU_BIND_UNORDERED_ACCESS     0x080u

/* PvgpuCmdCreateResource.cpu_access_flags. */
#define PVGPU_CPU_ACCESS_WRITE          0x10000u
#define PVGPU_CPU_ACCESS_READ           0x20000u

/* PvgpuCmdClearDepthStencil.clear_flags. */
#define PVGPU_CLEAR_DEPTH               0x1u
#define PVGPU_CLEAR_STENCIL             0x2u

/* PvgpuCmdPresent.present_flags. */
#define PVGPU_PRESENT_FLAG_TEST         0x1u
#define PVGPU_PRESENT_FLAG_DO_NOT_WAIT  0x8u
#define PVGPU_PRESENT_FLAG_ALLOW_TEARING 0x200u

/** Heap offset meaning "no initial data supplied". */
#define PVGPU_NO_HEAP_OFFSET            0xFFFFFFFFFFFFFFFFull

/* ------------------------------------------------------------------------ */
/* Helper structures embedded in command payloads                           */
/* ------------------------------------------------------------------------ */

/** A viewport, same field order as D3D11_VIEWPORT. */
typedef struct PvgpuViewport {
    float x;
    float y;
    float width;
    float height;
    float min_depth;
    float max_depth;
} PvgpuViewport;

/** An integer rectangle, right/bottom exclusive (D3D11_RECT). */
typedef struct PvgpuRect {
    int32_t left;
    int32_t top;
    int32_t right;
    int32_t bottom;
} PvgpuRect;

/** A 3-D box in texels, right/bottom/back exclusive (D3D11_BOX). */
typedef struct PvgpuBox {
    uint32_t left;
    uint32_t top;
    uint32_t front;
    uint32_t right;
    uint32_t bottom;
    uint32_t back;
} PvgpuBox;

/** Per-render-target blend description. Enumerants are D3D11_BLEND(_OP). */
typedef struct PvgpuRenderTargetBlendDesc {
    uint8_t blend_enable;
    uint8_t src_blend;
    uint8_t dest_blend;
    uint8_t blend_op;
    uint8_t src_blend_alpha;
    uint8_t dest_blend_alpha;
    uint8_t blend_op_alpha;
    uint8_t render_target_write_mask;
} PvgpuRenderTargetBlendDesc;

/** One face of the stencil test (D3D11_DEPTH_STENCILOP_DESC, narrowed). */
typedef struct PvgpuStencilOpDesc {
    uint8_t stencil_fail_op;
    uint8_t stencil_depth_fail_op;
    uint8_t stencil_pass_op;
    uint8_t stencil_func;
} PvgpuStencilOpDesc;

/** One vertex input element (D3D11_INPUT_ELEMENT_DESC with inline name). */
typedef struct PvgpuInputElement {
    char     semantic_name[PVGPU_MAX_SEMANTIC_NAME];
    uint32_t semantic_index;
    uint32_t format;                    /* DXGI_FORMAT */
    uint8_t  input_slot;
    uint8_t  input_slot_class;          /* 0 = per vertex, 1 = per instance */
    uint16_t reserved;
    uint32_t aligned_byte_offset;
    uint32_t instance_data_step_rate;
} PvgpuInputElement;

/** One vertex buffer binding. */
typedef struct PvgpuVertexBufferBinding {
    uint32_t resource_id;
    uint32_t stride;
    uint32_t offset;
} PvgpuVertexBufferBinding;

/** Clear colour; interpretation depends on the view format. */
typedef union PvgpuClearValue {
    float    float32[4];
    uint32_t uint32[4];
} PvgpuClearValue;

/* ------------------------------------------------------------------------ */
/* Resource commands                                                        */
/* ------------------------------------------------------------------------ */

/**
 * PVGPU_CMD_CREATE_RESOURCE. hdr.resource_id is the id the guest allocated
 * for the new resource. If heap_offset != PVGPU_NO_HEAP_OFFSET the host copies
 * initial_data_size bytes from the resource heap as the initial contents.
 */
typedef struct PvgpuCmdCreateResource {
    PvgpuCommandHeader hdr;
    uint32_t resource_type;             /* PvgpuResourceType */
    uint32_t format;                    /* DXGI_FORMAT */
    uint32_t bind_flags;                /* PVGPU_BIND_* flags */
    uint32_t usage;                     /* D3D11_USAGE */
    uint32_t cpu_access_flags;          /* PVGPU_CPU_ACCESS_* flags */
    uint32_t misc_flags;                /* D3D11_RESOURCE_MISC_FLAG */
    uint32_t width;                     /* bytes for buffers */
    uint32_t height;
    uint16_t depth_or_array_size;
    uint16_t mip_levels;
    uint8_t  sample_count;
    uint8_t  sample_quality;
    uint16_t structure_byte_stride;     /* structured buffers only */
    uint64_t heap_offset;               /* initial data, or PVGPU_NO_HEAP_OFFSET */
    uint32_t initial_data_size;
    uint32_t row_pitch;
    uint32_t slice_pitch;
} PvgpuCmdCreateResource;

/** PVGPU_CMD_DESTROY_RESOURCE. hdr.resource_id is destroyed; no payload. */
typedef struct PvgpuCmdDestroyResource {
    PvgpuCommandHeader hdr;
} PvgpuCmdDestroyResource;

/**
 * PVGPU_CMD_MAP_RESOURCE. The host copies the subresource into the heap at
 * heap_offset (for read maps) and reports the pitches it used.
 * Note the implicit 4 bytes of padding before heap_offset.
 */
typedef struct PvgpuCmdMapResource {
    PvgpuCommandHeader hdr;
    uint32_t subresource;
    uint64_t heap_offset;
    uint32_t map_type;                  /* PvgpuMapType */
    uint32_t map_flags;
    uint32_t row_pitch;                 /* out */
    uint32_t depth_pitch;               /* out */
} PvgpuCmdMapResource;

/** PVGPU_CMD_UNMAP_RESOURCE. */
typedef struct PvgpuCmdUnmapResource {
    PvgpuCommandHeader hdr;
    uint32_t subresource;
    bool     discard;                   /* true: drop any staged writes */
} PvgpuCmdUnmapResource;

/**
 * PVGPU_CMD_UPLOAD_DATA. Small inline uploads that are not worth staging in
 * the heap. hdr.size == sizeof(PvgpuCmdUploadData) + data_size, and
 * data_size must be a multiple of 4.
 */
typedef struct PvgpuCmdUploadData {
    PvgpuCommandHeader hdr;
    uint32_t subresource;
    uint32_t dst_offset;                /* bytes into the subresource */
    uint32_t data_size;                 /* bytes of data[] that follow */
    uint32_t data[];
} PvgpuCmdUploadData;

/** PVGPU_CMD_COPY_RESOURCE. Copies src_resource_id into hdr.resource_id. */
typedef struct PvgpuCmdCopyResource {
    PvgpuCommandHeader hdr;
    uint32_t src_resource_id;
} PvgpuCmdCopyResource;

/** PVGPU_CMD_COPY_SUBRESOURCE_REGION. Destination is hdr.resource_id. */
typedef struct PvgpuCmdCopySubresourceRegion {
    PvgpuCommandHeader hdr;
    uint32_t dst_subresource;
    uint32_t dst_x;
    uint32_t dst_y;
    uint32_t dst_z;
    uint32_t src_resource_id;
    uint32_t src_subresource;
    uint8_t  has_src_box;               /* 0: copy the whole subresource */
    PvgpuBox src_box;
} PvgpuCmdCopySubresourceRegion;

/** PVGPU_CMD_OPEN_SHARED_RESOURCE. Binds a cross-process shared handle. */
typedef struct PvgpuCmdOpenSharedResource {
    PvgpuCommandHeader hdr;
    uint64_t shared_handle;             /* host-issued token, not a HANDLE */
    uint32_t guest_process_id;
} PvgpuCmdOpenSharedResource;

/* ------------------------------------------------------------------------ */
/* Pipeline state object commands                                           */
/* ------------------------------------------------------------------------ */

/** PVGPU_CMD_CREATE_BLEND_STATE. */
typedef struct PvgpuCmdCreateBlendState {
    PvgpuCommandHeader hdr;
    uint32_t state_id;
    uint8_t  alpha_to_coverage_enable;
    uint8_t  independent_blend_enable;
    PvgpuRenderTargetBlendDesc render_target[PVGPU_MAX_RENDER_TARGETS];
} PvgpuCmdCreateBlendState;

/** PVGPU_CMD_CREATE_RASTERIZER_STATE. */
typedef struct PvgpuCmdCreateRasterizerState {
    PvgpuCommandHeader hdr;
    uint32_t state_id;
    uint32_t fill_mode;                 /* D3D11_FILL_MODE */
    uint32_t cull_mode;                 /* D3D11_CULL_MODE */
    bool     front_counter_clockwise;
    int32_t  depth_bias;
    float    depth_bias_clamp;
    float    slope_scaled_depth_bias;
    uint8_t  depth_clip_enable;
    uint8_t  scissor_enable;
    uint8_t  multisample_enable;
    uint8_t  antialiased_line_enable;
} PvgpuCmdCreateRasterizerState;

/**
 * PVGPU_CMD_CREATE_DEPTH_STENCIL_STATE. (Historical name: the struct predates
 * the opcode rename and was never changed.)
 */
typedef struct PvgpuCmdCreateDSState {
    PvgpuCommandHeader hdr;
    uint32_t state_id;
    uint8_t  depth_enable;
    uint8_t  depth_write_mask;
    uint8_t  depth_func;                /* D3D11_COMPARISON_FUNC */
    uint8_t  stencil_enable;
    uint8_t  stencil_read_mask;
    uint8_t  stencil_write_mask;
    PvgpuStencilOpDesc front_face;
    PvgpuStencilOpDesc back_face;
} PvgpuCmdCreateDSState;

/** PVGPU_CMD_CREATE_SAMPLER. */
typedef struct PvgpuCmdCreateSampler {
    PvgpuCommandHeader hdr;
    uint32_t sampler_id;
    uint32_t filter;                    /* D3D11_FILTER */
    uint8_t  address_u;                 /* D3D11_TEXTURE_ADDRESS_MODE */
    uint8_t  address_v;
    uint8_t  address_w;
    uint8_t  comparison_func;
    float    mip_lod_bias;
    uint32_t max_anisotropy;
    float    border_color[4];
    float    min_lod;
    float    max_lod;
} PvgpuCmdCreateSampler;

/** PVGPU_CMD_CREATE_INPUT_LAYOUT. The largest fixed-size command. */
typedef struct PvgpuCmdCreateInputLayout {
    PvgpuCommandHeader hdr;
    uint32_t layout_id;
    uint32_t element_count;
    uint32_t vs_signature_shader_id;    /* shader whose input signature matches */
    PvgpuInputElement elements[PVGPU_MAX_INPUT_ELEMENTS];
} PvgpuCmdCreateInputLayout;

/** PVGPU_CMD_DESTROY_STATE_OBJECT. */
typedef struct PvgpuCmdDestroyStateObject {
    PvgpuCommandHeader hdr;
    uint32_t object_kind;               /* PvgpuStateObjectKind */
    uint32_t object_id;
} PvgpuCmdDestroyStateObject;

/* ------------------------------------------------------------------------ */
/* View commands. hdr.resource_id is the resource the view is created on.   */
/* ------------------------------------------------------------------------ */

/** PVGPU_CMD_CREATE_RENDER_TARGET_VIEW. */
typedef struct PvgpuCmdCreateRenderTargetView {
    PvgpuCommandHeader hdr;
    uint32_t view_id;
    uint32_t format;                    /* DXGI_FORMAT */
    uint32_t view_dimension;            /* PvgpuViewDimension */
    uint32_t mip_slice;
    uint32_t first_array_slice;
    uint32_t array_size;
} PvgpuCmdCreateRenderTargetView;

/** PVGPU_CMD_CREATE_DEPTH_STENCIL_VIEW. */
typedef struct PvgpuCmdCreateDepthStencilView {
    PvgpuCommandHeader hdr;
    uint32_t view_id;
    uint32_t format;                    /* DXGI_FORMAT */
    uint8_t  view_dimension;            /* PvgpuViewDimension */
    uint8_t  read_only_flags;           /* bit 0 depth, bit 1 stencil */
    uint32_t mip_slice;
    uint16_t first_array_slice;
    uint16_t array_size;
} PvgpuCmdCreateDepthStencilView;

/** PVGPU_CMD_CREATE_SHADER_RESOURCE_VIEW. The union arm follows view_dimension. */
typedef struct PvgpuCmdCreateShaderResourceView {
    PvgpuCommandHeader hdr;
    uint32_t view_id;
    uint32_t format;                    /* DXGI_FORMAT */
    uint32_t view_dimension;            /* PvgpuViewDimension */
    union {
        struct {
            uint32_t first_element;
            uint32_t num_elements;
        } buffer;
        struct {
            uint32_t most_detailed_mip;
            uint32_t mip_levels;
        } texture2d;
        struct {
            uint32_t most_detailed_mip;
            uint32_t mip_levels;
            uint32_t first_array_slice;
            uint32_t array_size;
        } texture2d_array;
        struct {
            uint32_t most_detailed_mip;
            uint32_t mip_levels;
            float    resource_min_lod_clamp;
        } texture3d;
    };
} PvgpuCmdCreateShaderResourceView;

/** PVGPU_CMD_CREATE_UNORDERED_ACCESS_VIEW. */
typedef struct PvgpuCmdCreateUnorderedAccessView {
    PvgpuCommandHeader hdr;
    uint32_t view_id;
    uint32_t format;                    /* DXGI_FORMAT */
    uint16_t view_dimension;            /* PvgpuViewDimension */
    union {
        struct {
            uint32_t first_element;
            uint32_t num_elements;
            uint8_t  raw;
            uint8_t  append;
            uint8_t  counter;
        } buffer;
        struct {
            uint32_t mip_slice;
            uint32_t first_w_slice;
            uint32_t w_size;
        } texture3d;
        uint64_t opaque[2];             /* forces 8-byte alignment of the arm */
    } u;
    uint32_t initial_counter;           /* append/consume buffers only */
} PvgpuCmdCreateUnorderedAccessView;

/** PVGPU_CMD_DESTROY_VIEW. */
typedef struct PvgpuCmdDestroyView {
    PvgpuCommandHeader hdr;
    uint32_t view_id;
    uint8_t  view_kind;                 /* 0 RTV, 1 DSV, 2 SRV, 3 UAV */
} PvgpuCmdDestroyView;

/* ------------------------------------------------------------------------ */
/* Shader commands                                                          */
/* ------------------------------------------------------------------------ */

/**
 * PVGPU_CMD_CREATE_SHADER. The DXBC blob has already been written into the
 * resource heap at bytecode_heap_offset.
 */
typedef struct PvgpuCmdCreateShader {
    PvgpuCommandHeader hdr;
    uint32_t shader_id;
    uint32_t stage;                     /* PvgpuShaderStage */
    uint32_t bytecode_size;
    uint64_t bytecode_heap_offset;
    uint8_t  shader_model_major;
    uint8_t  shader_model_minor;
    uint16_t num_class_instances;
    uint8_t  bytecode_hash[PVGPU_SHADER_HASH_SIZE];
} PvgpuCmdCreateShader;

/** PVGPU_CMD_DESTROY_SHADER. */
typedef struct PvgpuCmdDestroyShader {
    PvgpuCommandHeader hdr;
    uint32_t shader_id;
} PvgpuCmdDestroyShader;

/* ------------------------------------------------------------------------ */
/* Pipeline binding commands                                                */
/* ------------------------------------------------------------------------ */

/** PVGPU_CMD_SET_RENDER_TARGETS. Unused slots are PVGPU_INVALID_ID. */
typedef struct PvgpuCmdSetRenderTargets {
    PvgpuCommandHeader hdr;
    uint32_t num_rtvs;
    uint32_t rtv_ids[PVGPU_MAX_RENDER_TARGETS];
    uint32_t dsv_id;
    uint32_t num_uavs;
    uint32_t uav_ids[PVGPU_MAX_UAV_SLOTS];
} PvgpuCmdSetRenderTargets;

/** PVGPU_CMD_SET_VIEWPORTS. */
typedef struct PvgpuCmdSetViewports {
    PvgpuCommandHeader hdr;
    uint32_t      num_viewports;
    PvgpuViewport viewports[PVGPU_MAX_VIEWPORTS];
} PvgpuCmdSetViewports;

/** PVGPU_CMD_SET_SCISSOR_RECTS. */
typedef struct PvgpuCmdSetScissorRects {
    PvgpuCommandHeader hdr;
    uint32_t  num_rects;
    PvgpuRect rects[PVGPU_MAX_SCISSOR_RECTS];
} PvgpuCmdSetScissorRects;

/** PVGPU_CMD_SET_BLEND_STATE. */
typedef struct PvgpuCmdSetBlendState {
    PvgpuCommandHeader hdr;
    uint32_t state_id;
    float    blend_factor[4];
    uint32_t sample_mask;
} PvgpuCmdSetBlendState;

/** PVGPU_CMD_SET_RASTERIZER_STATE. */
typedef struct PvgpuCmdSetRasterizerState {
    PvgpuCommandHeader hdr;
    uint32_t state_id;
} PvgpuCmdSetRasterizerState;

/** PVGPU_CMD_SET_DEPTH_STENCIL_STATE. */
typedef struct PvgpuCmdSetDepthStencilState {
    PvgpuCommandHeader hdr;
    uint32_t state_id;
    uint8_t  stencil_ref;
} PvgpuCmdSetDepthStencilState;

/** PVGPU_CMD_SET_SHADER. shader_id == PVGPU_INVALID_ID unbinds the stage. */
typedef struct PvgpuCmdSetShader {
    PvgpuCommandHeader hdr;
    uint32_t stage;                     /* PvgpuShaderStage */
    uint32_t shader_id;
    uint16_t num_class_instances;
} PvgpuCmdSetShader;

/**
 * PVGPU_CMD_SET_SAMPLERS. Note the struct name is singular "SamplerState"
 * for source compatibility with the v0 driver.
 */
typedef struct PvgpuCmdSetSamplerState {
    PvgpuCommandHeader hdr;
    uint32_t stage;                     /* PvgpuShaderStage */
    uint32_t start_slot;
    uint32_t num_samplers;
    uint32_t sampler_ids[PVGPU_MAX_SAMPLERS];
} PvgpuCmdSetSamplerState;

/** PVGPU_CMD_SET_SHADER_RESOURCES. */
typedef struct PvgpuCmdSetShaderResources {
    PvgpuCommandHeader hdr;
    uint8_t  stage;                     /* PvgpuShaderStage */
    uint8_t  start_slot;
    uint16_t num_views;
    uint32_t view_ids[PVGPU_MAX_SHADER_RESOURCES];
} PvgpuCmdSetShaderResources;

/**
 * PVGPU_CMD_SET_CONSTANT_BUFFERS. ranges[i] = { first_constant, num_constants }
 * in units of 16-byte constants (D3D11.1 *SetConstantBuffers1 semantics).
 */
typedef struct PvgpuCmdSetConstantBuffers {
    PvgpuCommandHeader hdr;
    uint32_t stage;                     /* PvgpuShaderStage */
    uint32_t start_slot;
    uint32_t num_buffers;
    uint32_t buffer_ids[PVGPU_MAX_CB];
    uint32_t ranges[PVGPU_MAX_CB][2];
} PvgpuCmdSetConstantBuffers;

/** PVGPU_CMD_SET_VERTEX_BUFFERS. */
typedef struct PvgpuCmdSetVertexBuffers {
    PvgpuCommandHeader hdr;
    uint32_t start_slot;
    uint32_t num_buffers;
    PvgpuVertexBufferBinding buffers[PVGPU_MAX_VERTEX_BUFFERS];
} PvgpuCmdSetVertexBuffers;

/** PVGPU_CMD_SET_INDEX_BUFFER. hdr.resource_id is the index buffer. */
typedef struct PvgpuCmdSetIndexBuffer {
    PvgpuCommandHeader hdr;
    uint32_t format;                    /* DXGI_FORMAT_R16_UINT or R32_UINT */
    uint32_t offset;
} PvgpuCmdSetIndexBuffer;

/** PVGPU_CMD_SET_PRIMITIVE_TOPOLOGY. */
typedef struct PvgpuCmdSetPrimitiveTopology {
    PvgpuCommandHeader     hdr;
    PvgpuPrimitiveTopology topology;
} PvgpuCmdSetPrimitiveTopology;

/** PVGPU_CMD_SET_INPUT_LAYOUT. */
typedef struct PvgpuCmdSetInputLayout {
    PvgpuCommandHeader hdr;
    uint32_t layout_id;
} PvgpuCmdSetInputLayout;

/**
 * PVGPU_CMD_SET_INLINE_CONSTANTS. Writes num_vectors float4/uint4 constants
 * straight into constant buffer slot `slot`, bypassing a buffer resource.
 */
typedef struct PvgpuCmdSetInlineConstants {
    PvgpuCommandHeader hdr;
    uint32_t stage;                     /* PvgpuShaderStage */
    uint32_t slot;
    uint32_t num_vectors;
    uint32_t constants[PVGPU_MAX_CB][4];
} PvgpuCmdSetInlineConstants;

/* ------------------------------------------------------------------------ */
/* Draw, dispatch and clear commands                                        */
/* ------------------------------------------------------------------------ */

/** PVGPU_CMD_DRAW. */
typedef struct PvgpuCmdDraw {
    PvgpuCommandHeader hdr;
    uint32_t vertex_count;
    uint32_t start_vertex;
} PvgpuCmdDraw;

/** PVGPU_CMD_DRAW_INDEXED. */
typedef struct PvgpuCmdDrawIndexed {
    PvgpuCommandHeader hdr;
    uint32_t index_count;
    uint32_t start_index;
    int32_t  base_vertex;
} PvgpuCmdDrawIndexed;

/** PVGPU_CMD_DRAW_INSTANCED. */
typedef struct PvgpuCmdDrawInstanced {
    PvgpuCommandHeader hdr;
    uint32_t vertex_count_per_instance;
    uint32_t instance_count;
    uint32_t start_vertex;
    uint32_t start_instance;
} PvgpuCmdDrawInstanced;

/** PVGPU_CMD_DRAW_INDEXED_INSTANCED. */
typedef struct PvgpuCmdDrawIndexedInstanced {
    PvgpuCommandHeader hdr;
    uint32_t index_count_per_instance;
    uint32_t instance_count;
    uint32_t start_index;
    int32_t  base_vertex;
    uint32_t start_instance;
} PvgpuCmdDrawIndexedInstanced;

/** PVGPU_CMD_DISPATCH. */
typedef struct PvgpuCmdDispatch {
    PvgpuCommandHeader hdr;
    uint32_t thread_group_count[3];     /* x, y, z */
} PvgpuCmdDispatch;

/** PVGPU_CMD_CLEAR_RENDER_TARGET_VIEW. num_rects == 0 clears the whole view. */
typedef struct PvgpuCmdClearRenderTargetView {
    PvgpuCommandHeader hdr;
    uint32_t        rtv_id;
    PvgpuClearValue color;
    uint32_t        num_rects;
    PvgpuRect       rects[PVGPU_MAX_CLEAR_RECTS];
} PvgpuCmdClearRenderTargetView;

/**
 * PVGPU_CMD_CLEAR_DEPTH_STENCIL_VIEW. (Struct drops the "View" suffix; kept
 * for compatibility with existing guest drivers.)
 */
typedef struct PvgpuCmdClearDepthStencil {
    PvgpuCommandHeader hdr;
    uint32_t dsv_id;
    uint32_t clear_flags;               /* PVGPU_CLEAR_* flags */
    float    depth;
    uint8_t  stencil;
} PvgpuCmdClearDepthStencil;

/* ------------------------------------------------------------------------ */
/* Synchronisation and presentation                                         */
/* ------------------------------------------------------------------------ */

/**
 * PVGPU_CMD_FENCE. When the host retires this command it stores fence_value
 * into PvgpuControlRegion.host_fence_completed and, if
 * PVGPU_FEATURE_FENCE_IRQ was negotiated and fence_value >=
 * guest_fence_request, raises the fence interrupt. Fence values must be
 * strictly increasing.
 */
typedef struct PvgpuCmdFence {
    PvgpuCommandHeader hdr;
    uint64_t fence_value;
} PvgpuCmdFence;

/**
 * PVGPU_CMD_PRESENT. hdr.resource_id is the back buffer to scan out.
 * fence_value is signalled once the flip has been queued on the host.
 */
typedef struct PvgpuCmdPresent {
    PvgpuCommandHeader hdr;
    uint32_t swapchain_id;
    uint32_t sync_interval;             /* 0 = immediate, 1-4 = vblanks */
    uint32_t present_flags;             /* PVGPU_PRESENT_FLAG_* flags */
    uint32_t src_width;
    uint32_t src_height;
    int32_t  dest_x;
    int32_t  dest_y;
    uint64_t fence_value;
} PvgpuCmdPresent;

/** PVGPU_CMD_FLUSH. Asks the host to submit its queued work now; no payload. */
typedef struct PvgpuCmdFlush {
    PvgpuCommandHeader hdr;
} PvgpuCmdFlush;

/**
 * PVGPU_CMD_WAIT_FENCE. The host stalls the ring until host_fence_completed
 * >= fence_value or timeout_ms elapses (0 = forever).
 */
typedef struct PvgpuCmdWaitFence {
    PvgpuCommandHeader hdr;
    uint64_t fence_value;
    uint32_t timeout_ms;
} PvgpuCmdWaitFence;

/* ------------------------------------------------------------------------ */
/* Layout checks (identical on MSVC x64 and System V x86-64)                */
/* ------------------------------------------------------------------------ */

_Static_assert(sizeof(PvgpuCmdDestroyResource) == 16, "header-only command");
_Static_assert(sizeof(PvgpuCmdFence) == 24, "PvgpuCmdFence size");
_Static_assert(offsetof(PvgpuCmdMapResource, heap_offset) == 24,
               "PvgpuCmdMapResource.heap_offset is 8-aligned after padding");
_Static_assert(sizeof(PvgpuCmdUploadData) == 28,
               "PvgpuCmdUploadData fixed part (data[] not included)");
_Static_assert(sizeof(PvgpuCmdSetViewports) == 404, "PvgpuCmdSetViewports size");
_Static_assert(sizeof(PvgpuCmdCreateInputLayout) == 892,
               "PvgpuCmdCreateInputLayout size");
_Static_assert(sizeof(PvgpuCmdCreateInputLayout) <= PVGPU_PAGE_SIZE,
               "fixed-size commands must fit in one page");

#endif /* PVGPU_PROTOCOL_H */
