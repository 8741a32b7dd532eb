/* mstp: minimum spanning trees and a threaded sum, with a plain C ABI for ctypes. */
#ifndef MSTP_H
#define MSTP_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define MSTP_API __attribute__((visibility("default")))
#else
#define MSTP_API
#endif

#define MSTP_VERSION "1.0.0"

/* Return codes; mstp_strerror() turns each into a sentence. */
enum {
    MSTP_OK = 0,
    MSTP_EINVAL = 1,        /* a null pointer, a zero count or a vertex out of range */
    MSTP_ENOMEM = 2,        /* an allocation failed */
    MSTP_ENAN = 3,          /* a weight or value is NaN */
    MSTP_EDISCONNECTED = 4, /* the graph has no spanning tree */
    MSTP_ETHREAD = 5        /* a worker thread could not be started */
};

MSTP_API const char *mstp_version(void);
MSTP_API const char *mstp_strerror(int code);

/*
 * Kruskal's minimum spanning tree of an undirected graph with vertices 0..n_vertices-1 and
 * n_edges edges (u[i], v[i], w[i]). On success writes the indices of the n_vertices-1 chosen
 * edges, in ascending order of weight, to chosen (sized n_vertices-1) and their sum to total.
 */
MSTP_API int mstp_spanning_tree(size_t n_vertices, size_t n_edges, const uint32_t *u,
                                const uint32_t *v, const double *w, uint32_t *chosen,
                                double *total);

/* Sum of values[0..n-1] split across up to n_threads POSIX threads (0 means one per 64k values). */
MSTP_API int mstp_sum(const double *values, size_t n, unsigned n_threads, double *total);

#endif
