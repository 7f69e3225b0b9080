/* Sv39 paging: see common/vm_tests.h. */
#define SV 39
#include "test.h"
#include "vm_tests.h"
