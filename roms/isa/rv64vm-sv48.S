/* Sv48 paging (incl. a 512 GiB terapage): see common/vm_tests.h. */
#define SV 48
#include "test.h"
#include "vm_tests.h"
