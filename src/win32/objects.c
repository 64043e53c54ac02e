/*
 * objects.c — the table from handle values to the library's records of
 * thread and process handles (see objects.h).
 *
 * Small and simple: an array searched linearly under one mutex.  Programs
 * hold a handful of thread and process handles at a time; the table only
 * grows with handles that are still open.
 */
#include "win32/internal.h"
#include "win32/objects.h"

#include <pthread.h>
#include <stdlib.h>

struct entry {
    uintptr_t key; /* handle value without its two tag bits */
    struct np_obj *obj;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *g_entries;
static size_t g_count, g_cap;

static uintptr_t key_of(HANDLE h) { return (uintptr_t)h & ~(uintptr_t)3; }

bool np_obj_insert(HANDLE h, struct np_obj *obj)
{
    pthread_mutex_lock(&g_lock);
    /* A stale entry under the same value (its handle was closed some other
     * way, e.g. DuplicateHandle with DUPLICATE_CLOSE_SOURCE) is replaced:
     * the broker reuses values only after they are closed. */
    struct np_obj *stale = NULL;
    for (size_t i = 0; i < g_count; i++)
        if (g_entries[i].key == key_of(h)) {
            stale = g_entries[i].obj;
            g_entries[i] = g_entries[--g_count];
            break;
        }
    if (g_count == g_cap) {
        size_t cap = g_cap ? g_cap * 2 : 16;
        struct entry *e = realloc(g_entries, cap * sizeof *e);
        if (!e) {
            pthread_mutex_unlock(&g_lock);
            if (stale)
                np_obj_put(stale);
            return false;
        }
        g_entries = e;
        g_cap = cap;
    }
    obj->refs++;
    g_entries[g_count++] = (struct entry){key_of(h), obj};
    pthread_mutex_unlock(&g_lock);
    if (stale)
        np_obj_put(stale);
    return true;
}

struct np_obj *np_obj_get(HANDLE h, enum np_obj_type type)
{
    struct np_obj *found = NULL;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_count; i++)
        if (g_entries[i].key == key_of(h) && g_entries[i].obj->type == type) {
            found = g_entries[i].obj;
            found->refs++;
            break;
        }
    pthread_mutex_unlock(&g_lock);
    return found;
}

void np_obj_ref(struct np_obj *obj)
{
    pthread_mutex_lock(&g_lock);
    obj->refs++;
    pthread_mutex_unlock(&g_lock);
}

void np_obj_put(struct np_obj *obj)
{
    pthread_mutex_lock(&g_lock);
    bool last = --obj->refs == 0;
    pthread_mutex_unlock(&g_lock);
    if (last)
        obj->release(obj);
}

void np_obj_forget(HANDLE h)
{
    struct np_obj *obj = NULL;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_count; i++)
        if (g_entries[i].key == key_of(h)) {
            obj = g_entries[i].obj;
            g_entries[i] = g_entries[--g_count];
            break;
        }
    pthread_mutex_unlock(&g_lock);
    if (obj)
        np_obj_put(obj);
}
