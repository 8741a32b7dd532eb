/* mstp: Kruskal's minimum spanning tree and a pthread-parallel sum. */
#include "mstp.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

const char *mstp_version(void) { return MSTP_VERSION; }

const char *mstp_strerror(int code)
{
    switch (code) {
    case MSTP_OK: return "success";
    case MSTP_EINVAL: return "invalid argument (null pointer, empty input or vertex out of range)";
    case MSTP_ENOMEM: return "out of memory";
    case MSTP_ENAN: return "NaN in the input";
    case MSTP_EDISCONNECTED: return "the graph is not connected, so it has no spanning tree";
    case MSTP_ETHREAD: return "could not start a worker thread";
    default: return "unknown error";
    }
}

/* Union-find with path halving and union by size. */
static size_t find_root(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static const double *sort_weights; /* qsort has no context argument; guarded by sort_lock */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int by_weight(const void *a, const void *b)
{
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    double wi = sort_weights[i], wj = sort_weights[j];
    if (wi < wj) return -1;
    if (wi > wj) return 1;
    return (i > j) - (i < j); /* ties keep input order, so results do not depend on qsort */
}

int mstp_spanning_tree(size_t n_vertices, size_t n_edges, const uint32_t *u, const uint32_t *v,
                       const double *w, uint32_t *chosen, double *total)
{
    if (n_vertices == 0 || !total || (n_vertices > 1 && (!u || !v || !w || !chosen)))
        return MSTP_EINVAL;
    if (n_edges > UINT32_MAX)
        return MSTP_EINVAL;
    for (size_t i = 0; i < n_edges; i++) {
        if (u[i] >= n_vertices || v[i] >= n_vertices) return MSTP_EINVAL;
        if (isnan(w[i])) return MSTP_ENAN;
    }

    size_t *parent = malloc(n_vertices * sizeof *parent);
    size_t *size = malloc(n_vertices * sizeof *size);
    uint32_t *order = malloc((n_edges ? n_edges : 1) * sizeof *order);
    int rc = MSTP_OK;
    if (!parent || !size || !order) {
        rc = MSTP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n_vertices; i++) {
        parent[i] = i;
        size[i] = 1;
    }
    for (size_t i = 0; i < n_edges; i++)
        order[i] = (uint32_t)i;

    pthread_mutex_lock(&sort_lock);
    sort_weights = w;
    qsort(order, n_edges, sizeof *order, by_weight);
    pthread_mutex_unlock(&sort_lock);

    size_t taken = 0;
    double sum = 0.0;
    for (size_t k = 0; k < n_edges && taken + 1 < n_vertices; k++) {
        uint32_t e = order[k];
        size_t a = find_root(parent, u[e]), b = find_root(parent, v[e]);
        if (a == b) continue;
        if (size[a] < size[b]) {
            size_t t = a;
            a = b;
            b = t;
        }
        parent[b] = a;
        size[a] += size[b];
        chosen[taken++] = e;
        sum += w[e];
    }
    if (taken + 1 < n_vertices) {
        rc = MSTP_EDISCONNECTED;
        goto out;
    }
    *total = sum;
out:
    free(parent);
    free(size);
    free(order);
    return rc;
}

struct chunk {
    const double *values;
    size_t n;
    double sum;
    int nan;
};

static void *sum_chunk(void *arg)
{
    struct chunk *c = arg;
    double sum = 0.0, comp = 0.0; /* Kahan summation keeps chunked and serial sums close */
    for (size_t i = 0; i < c->n; i++) {
        double x = c->values[i];
        if (isnan(x)) {
            c->nan = 1;
            return NULL;
        }
        double y = x - comp, t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    c->sum = sum;
    return NULL;
}

int mstp_sum(const double *values, size_t n, unsigned n_threads, double *total)
{
    if (!total || (n && !values))
        return MSTP_EINVAL;
    if (n_threads == 0)
        n_threads = (unsigned)(n / 65536 + 1);
    if (n_threads > 64)
        n_threads = 64;
    if (n_threads > n)
        n_threads = n ? (unsigned)n : 1;

    struct chunk chunks[64] = {0};
    pthread_t threads[64];
    size_t per = n / n_threads, started = 0;
    int rc = MSTP_OK;
    for (unsigned t = 0; t < n_threads; t++) {
        chunks[t].values = values + t * per;
        chunks[t].n = t + 1 == n_threads ? n - t * per : per;
        if (t == 0) continue; /* the calling thread sums the first chunk itself */
        if (pthread_create(&threads[t], NULL, sum_chunk, &chunks[t]) != 0) {
            rc = MSTP_ETHREAD;
            break;
        }
        started = t;
    }
    sum_chunk(&chunks[0]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(threads[t], NULL);
    if (rc != MSTP_OK)
        return rc;

    double sum = 0.0;
    for (unsigned t = 0; t < n_threads; t++) {
        if (chunks[t].nan) return MSTP_ENAN;
        sum += chunks[t].sum;
    }
    *total = sum;
    return MSTP_OK;
}
