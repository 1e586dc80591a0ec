// The render kernels compiled for avx512 (binding.gyp gives this file its flags); chosen at run time by render.cc.
#if defined(__x86_64__)
#define RENDER_BAND_FUNCTION RenderBandAvx512
#include "render_kernels.inc"
#endif
