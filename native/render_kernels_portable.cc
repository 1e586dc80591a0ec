// The render kernels compiled for the build's baseline (x86-64: SSE2).

#define RENDER_BAND_FUNCTION RenderBandPortable
#include "render_kernels.inc"

