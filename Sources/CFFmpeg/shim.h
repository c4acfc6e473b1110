#ifndef LONGSHOT_CFFMPEG_SHIM_H
#define LONGSHOT_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/sha.h>
#include <libswscale/swscale.h>

/* Macros Swift cannot import, as functions. */
static inline int longshot_averror(int e) { return AVERROR(e); }
static inline int longshot_averror_eof(void) { return AVERROR_EOF; }
static inline int64_t longshot_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int longshot_eagain(void) { return AVERROR(EAGAIN); }

#endif
