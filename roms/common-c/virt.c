/* Minimal board support for C images on `virt`: NS16550A UART console for
 * picolibc stdio, and exit through the SiFive test finisher. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define UART_BASE 0x10000000UL
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define FINISHER 0x100000UL
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333

static int uart_putc(char c, FILE *f)
{
    (void)f;
    volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;
    while (!(uart[UART_LSR] & UART_LSR_THRE))
        ;
    uart[UART_THR] = (uint8_t)c;
    return (unsigned char)c;
}

static FILE console = FDEV_SETUP_STREAM(uart_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;

void _exit(int code)
{
    volatile uint32_t *fin = (volatile uint32_t *)FINISHER;
    *fin = code == 0 ? FINISHER_PASS : (((uint32_t)code << 16) | FINISHER_FAIL);
    for (;;)
        ;
}
