/* arena.h — per-request (or per-job) memory: allocations and cleanups released together by
 * arena_free, so a handler never frees piecemeal and an early error return leaks nothing. */
#ifndef STRATA_ARENA_H
#define STRATA_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* A new empty arena; the caller owns it and releases it with arena_free. Aborts on OOM. */
struct arena *arena_new(void);
/* Runs the cleanups in reverse order of registration, then releases every allocation. */
void arena_free(struct arena *a);

/* Zeroed memory owned by the arena. Aborts on OOM. */
void *arena_alloc(struct arena *a, size_t size);
/* Copies owned by the arena; NULL in, NULL out. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void *arena_memdup(struct arena *a, const void *p, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* Registers fn(arg) to run when the arena is freed (closing files, json_decref, rollbacks). */
void arena_on_free(struct arena *a, void (*fn)(void *), void *arg);

#endif
