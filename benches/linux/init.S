# The whole userspace of the Linux benchmark (benches/linux/build.sh): print
# one line, then power the machine off. No libc: two syscalls.
	.section .rodata
msg:	.ascii	"tern-linux: userspace reached\n"
msg_end:
fail:	.ascii	"tern-linux: reboot(POWER_OFF) failed\n"
fail_end:

	.section .text
	.globl _start
_start:
	li	a0, 1			# write(1, msg, len)
	lla	a1, msg
	lla	a2, msg_end
	sub	a2, a2, a1
	li	a7, 64			# __NR_write
	ecall
	li	a0, 0xfee1dead		# reboot(LINUX_REBOOT_MAGIC1, MAGIC2,
	li	a1, 672274793		#        LINUX_REBOOT_CMD_POWER_OFF, NULL)
	li	a2, 0x4321fedc
	li	a3, 0
	li	a7, 142			# __NR_reboot
	ecall
	li	a0, 1			# still here: say so; init then spins
	lla	a1, fail
	lla	a2, fail_end
	sub	a2, a2, a1
	li	a7, 64
	ecall
1:	j	1b
