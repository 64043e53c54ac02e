/*
 * heap.c — GetProcessHeap, HeapCreate / HeapDestroy, HeapAlloc,
 * HeapReAlloc, HeapFree, HeapSize, and the Local* / Global* families.
 *
 * Every block comes from malloc with a small header in front that records
 * the heap it belongs to and the size asked for (HeapSize, LocalSize and
 * GlobalSize return exactly that, as on Windows).  The process heap is a
 * static object; a heap made with HeapCreate keeps its blocks on a list so
 * that HeapDestroy frees them all.  Local and global memory come from the
 * process heap, as they do on Windows; movable blocks (LMEM_MOVEABLE,
 * GMEM_MOVEABLE) are fixed ones here, so the "handle" is the pointer and
 * Lock / Unlock return it and do nothing else.
 *
 * Differences from Windows:
 *   - a pointer that is not a block of the heap (its header does not say
 *     so, or names another heap) is refused with ERROR_INVALID_PARAMETER
 *     where Windows' heap reports corruption; the check is a best effort,
 *     and a block freed twice is as undefined as on Windows;
 *   - HEAP_GENERATE_EXCEPTIONS has no exception to raise: failures return
 *     NULL and set ERROR_NOT_ENOUGH_MEMORY like every other failure;
 *   - HEAP_NO_SERIALIZE is ignored (every heap is thread-safe), and a
 *     heap's maximum size is only enforced as a total of live blocks.
 * HeapAlloc and HeapReAlloc set the last error when they fail, which
 * Windows documents that they do not: a program cannot rely on its value.
 */
#include "win32/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_MAGIC 0x6e70486561704231ull /* "npHeapB1" */
#define HEAP_MAGIC 0x6e70486561704831ull  /* "npHeapH1" */

struct np_heap;

/* 48 bytes: keeps the user's pointer 16-byte aligned. */
struct block {
    uint64_t magic;
    size_t size;
    struct np_heap *heap;
    struct block *prev, *next; /* on a private heap's list */
    uint64_t pad;
};
_Static_assert(sizeof(struct block) % 16 == 0, "block header keeps alignment");

struct np_heap {
    uint64_t magic;
    pthread_mutex_t lock;
    bool track;       /* keeps a list of blocks (HeapCreate heaps) */
    struct block list; /* sentinel */
    size_t maximum;   /* 0: growable */
    size_t in_use;
};

static struct np_heap g_process_heap = {
    .magic = HEAP_MAGIC,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .track = false,
};

#define HEAP_VALID_FLAGS (HEAP_NO_SERIALIZE | HEAP_GENERATE_EXCEPTIONS | \
                          HEAP_ZERO_MEMORY | HEAP_REALLOC_IN_PLACE_ONLY | \
                          HEAP_CREATE_ENABLE_EXECUTE)

static struct np_heap *heap_of(HANDLE h)
{
    struct np_heap *heap = h;
    return heap && heap->magic == HEAP_MAGIC ? heap : NULL;
}

static struct block *block_of(struct np_heap *heap, LPCVOID p)
{
    if (!p || ((uintptr_t)p & 15))
        return NULL;
    struct block *b = (struct block *)((char *)p - sizeof(struct block));
    if (b->magic != BLOCK_MAGIC || (heap && b->heap != heap))
        return NULL;
    return b;
}

NPIPE_API HANDLE WINAPI GetProcessHeap(void) { return &g_process_heap; }

NPIPE_API DWORD WINAPI GetProcessHeaps(DWORD NumberOfHeaps, PHANDLE ProcessHeaps)
{
    if (NumberOfHeaps >= 1 && ProcessHeaps)
        ProcessHeaps[0] = &g_process_heap;
    return 1; /* private heaps are not counted */
}

NPIPE_API HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T dwInitialSize,
                                   SIZE_T dwMaximumSize)
{
    (void)dwInitialSize;
    if (flOptions & ~(HEAP_NO_SERIALIZE | HEAP_GENERATE_EXCEPTIONS |
                      HEAP_CREATE_ENABLE_EXECUTE)) {
        np_fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    struct np_heap *heap = calloc(1, sizeof *heap);
    if (!heap) {
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    heap->magic = HEAP_MAGIC;
    pthread_mutex_init(&heap->lock, NULL);
    heap->track = true;
    heap->list.prev = heap->list.next = &heap->list;
    heap->maximum = dwMaximumSize;
    return heap;
}

NPIPE_API BOOL WINAPI HeapDestroy(HANDLE hHeap)
{
    struct np_heap *heap = heap_of(hHeap);
    if (!heap || heap == &g_process_heap) /* the process heap stays */
        return np_fail(ERROR_INVALID_HANDLE);
    pthread_mutex_lock(&heap->lock);
    for (struct block *b = heap->list.next; b != &heap->list;) {
        struct block *next = b->next;
        b->magic = 0;
        free(b);
        b = next;
    }
    heap->magic = 0;
    pthread_mutex_unlock(&heap->lock);
    pthread_mutex_destroy(&heap->lock);
    free(heap);
    return TRUE;
}

static void link_block(struct np_heap *heap, struct block *b)
{
    if (heap->track) {
        b->next = heap->list.next;
        b->prev = &heap->list;
        heap->list.next->prev = b;
        heap->list.next = b;
    }
}

static void unlink_block(struct np_heap *heap, struct block *b)
{
    if (heap->track) {
        b->prev->next = b->next;
        b->next->prev = b->prev;
    }
}

/* May this heap grow by `more` bytes?  Called with the lock held. */
static bool within_maximum(struct np_heap *heap, size_t more)
{
    return !heap->maximum || heap->in_use + more <= heap->maximum;
}

NPIPE_API LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes)
{
    struct np_heap *heap = heap_of(hHeap);
    if (!heap || (dwFlags & ~HEAP_VALID_FLAGS)) {
        np_fail(heap ? ERROR_INVALID_PARAMETER : ERROR_INVALID_HANDLE);
        return NULL;
    }
    if (dwBytes > SIZE_MAX - sizeof(struct block) - 16) {
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    struct block *b = (dwFlags & HEAP_ZERO_MEMORY)
                          ? calloc(1, sizeof *b + dwBytes)
                          : malloc(sizeof *b + dwBytes);
    if (!b) {
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    b->magic = BLOCK_MAGIC;
    b->size = dwBytes;
    b->heap = heap;
    pthread_mutex_lock(&heap->lock);
    if (!within_maximum(heap, dwBytes)) {
        pthread_mutex_unlock(&heap->lock);
        free(b);
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    heap->in_use += dwBytes;
    link_block(heap, b);
    pthread_mutex_unlock(&heap->lock);
    return b + 1;
}

/* Freeing NULL succeeds, as on Windows. */
NPIPE_API BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)
{
    (void)dwFlags;
    struct np_heap *heap = heap_of(hHeap);
    if (!heap)
        return np_fail(ERROR_INVALID_HANDLE);
    if (!lpMem)
        return TRUE;
    pthread_mutex_lock(&heap->lock);
    struct block *b = block_of(heap, lpMem);
    if (!b) {
        pthread_mutex_unlock(&heap->lock);
        return np_fail(ERROR_INVALID_PARAMETER);
    }
    b->magic = 0;
    heap->in_use -= b->size;
    unlink_block(heap, b);
    pthread_mutex_unlock(&heap->lock);
    free(b);
    return TRUE;
}

/*
 * HEAP_REALLOC_IN_PLACE_ONLY succeeds only when the block does not have to
 * move, which npipe can promise for a block that does not grow.
 * HEAP_ZERO_MEMORY zeroes the bytes a grown block gains.
 */
NPIPE_API LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem,
                                    SIZE_T dwBytes)
{
    struct np_heap *heap = heap_of(hHeap);
    if (!heap || (dwFlags & ~HEAP_VALID_FLAGS)) {
        np_fail(heap ? ERROR_INVALID_PARAMETER : ERROR_INVALID_HANDLE);
        return NULL;
    }
    if (dwBytes > SIZE_MAX - sizeof(struct block) - 16) {
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    pthread_mutex_lock(&heap->lock);
    struct block *b = block_of(heap, lpMem);
    if (!b) {
        pthread_mutex_unlock(&heap->lock);
        np_fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    size_t old = b->size;
    if (dwBytes > old && (dwFlags & HEAP_REALLOC_IN_PLACE_ONLY)) {
        pthread_mutex_unlock(&heap->lock);
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (dwBytes > old && !within_maximum(heap, dwBytes - old)) {
        pthread_mutex_unlock(&heap->lock);
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (dwBytes <= old) { /* shrink in place */
        b->size = dwBytes;
        heap->in_use -= old - dwBytes;
        pthread_mutex_unlock(&heap->lock);
        return lpMem;
    }
    unlink_block(heap, b);
    struct block *nb = realloc(b, sizeof *b + dwBytes);
    if (!nb) {
        link_block(heap, b);
        pthread_mutex_unlock(&heap->lock);
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (dwFlags & HEAP_ZERO_MEMORY)
        memset((char *)(nb + 1) + old, 0, dwBytes - old);
    nb->size = dwBytes;
    heap->in_use += dwBytes - old;
    link_block(heap, nb);
    pthread_mutex_unlock(&heap->lock);
    return nb + 1;
}

/* (SIZE_T)-1 on failure, as on Windows. */
NPIPE_API SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
    (void)dwFlags;
    struct np_heap *heap = heap_of(hHeap);
    if (!heap) {
        np_fail(ERROR_INVALID_HANDLE);
        return (SIZE_T)-1;
    }
    pthread_mutex_lock(&heap->lock);
    struct block *b = block_of(heap, lpMem);
    SIZE_T size = b ? b->size : (SIZE_T)-1;
    pthread_mutex_unlock(&heap->lock);
    if (!b)
        np_fail(ERROR_INVALID_PARAMETER);
    return size;
}

NPIPE_API BOOL WINAPI HeapValidate(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
    (void)dwFlags;
    struct np_heap *heap = heap_of(hHeap);
    if (!heap)
        return FALSE;
    if (!lpMem)
        return TRUE;
    pthread_mutex_lock(&heap->lock);
    bool ok = block_of(heap, lpMem) != NULL;
    pthread_mutex_unlock(&heap->lock);
    return ok;
}

/* ---- Local and global memory -------------------------------------------------------- */

/* LMEM_* and GMEM_* share their values for the flags that matter here. */
#define MEM_MOVEABLE 0x0002
#define MEM_ZEROINIT 0x0040
#define LMEM_VALID_FLAGS 0x0F72
#define GMEM_VALID_FLAGS 0x7F72

static HLOCAL mem_alloc(UINT flags, SIZE_T bytes, UINT valid)
{
    if (flags & ~valid) {
        np_fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    return HeapAlloc(&g_process_heap,
                     (flags & MEM_ZEROINIT) ? HEAP_ZERO_MEMORY : 0, bytes);
}

static HLOCAL mem_free(HLOCAL h)
{
    if (!h)
        return NULL;
    return HeapFree(&g_process_heap, 0, h) ? NULL : h;
}

static HLOCAL mem_realloc(HLOCAL h, SIZE_T bytes, UINT flags)
{
    if (!h) {
        np_fail(ERROR_INVALID_HANDLE);
        return NULL;
    }
    return HeapReAlloc(&g_process_heap, (flags & MEM_ZEROINIT) ? HEAP_ZERO_MEMORY : 0,
                       h, bytes);
}

static SIZE_T mem_size(HLOCAL h)
{
    if (!h)
        return 0;
    SIZE_T size = HeapSize(&g_process_heap, 0, h);
    if (size == (SIZE_T)-1) {
        np_fail(ERROR_INVALID_HANDLE);
        return 0;
    }
    return size;
}

NPIPE_API HLOCAL WINAPI LocalAlloc(UINT uFlags, SIZE_T uBytes)
{
    return mem_alloc(uFlags, uBytes, LMEM_VALID_FLAGS);
}

/* NULL on success, the handle on failure (as on Windows). */
NPIPE_API HLOCAL WINAPI LocalFree(HLOCAL hMem) { return mem_free(hMem); }

NPIPE_API HLOCAL WINAPI LocalReAlloc(HLOCAL hMem, SIZE_T uBytes, UINT uFlags)
{
    return mem_realloc(hMem, uBytes, uFlags);
}

NPIPE_API SIZE_T WINAPI LocalSize(HLOCAL hMem) { return mem_size(hMem); }
NPIPE_API LPVOID WINAPI LocalLock(HLOCAL hMem) { return hMem; }
/* A fixed block is never locked: "now unlocked", FALSE with NO_ERROR. */
NPIPE_API BOOL WINAPI LocalUnlock(HLOCAL hMem)
{
    (void)hMem;
    SetLastError(NO_ERROR);
    return FALSE;
}

NPIPE_API HGLOBAL WINAPI GlobalAlloc(UINT uFlags, SIZE_T dwBytes)
{
    return mem_alloc(uFlags, dwBytes, GMEM_VALID_FLAGS);
}

NPIPE_API HGLOBAL WINAPI GlobalFree(HGLOBAL hMem) { return mem_free(hMem); }

NPIPE_API HGLOBAL WINAPI GlobalReAlloc(HGLOBAL hMem, SIZE_T dwBytes, UINT uFlags)
{
    return mem_realloc(hMem, dwBytes, uFlags);
}

NPIPE_API SIZE_T WINAPI GlobalSize(HGLOBAL hMem) { return mem_size(hMem); }
NPIPE_API LPVOID WINAPI GlobalLock(HGLOBAL hMem) { return hMem; }
NPIPE_API BOOL WINAPI GlobalUnlock(HGLOBAL hMem)
{
    (void)hMem;
    SetLastError(NO_ERROR);
    return FALSE;
}
