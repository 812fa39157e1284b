/* relevance-cli.c — being written. */
#include "rel-core.h"
int main (int argc, char **argv) { rel_core_init (0); return 0; }
