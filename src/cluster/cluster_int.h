/* cluster_int.h — the janitor, driven by the node's thread. */
#ifndef STRATA_CLUSTER_INT_H
#define STRATA_CLUSTER_INT_H

struct app;

/* Renews or takes the janitor lease; when held, does the periodic work once. */
void janitor_pass(struct app *app);
/* Gives the lease up (at a clean stop) so another node takes it at once. */
void janitor_resign(struct app *app);

#endif
