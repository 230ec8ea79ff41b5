/* noop.c - exits 0 at once: the benchmarks' stand-in for systemd-run, systemctl and the agent. */
int main(void)
{
	return 0;
}
