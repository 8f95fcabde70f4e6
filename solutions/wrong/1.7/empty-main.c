/* expect: greets_ipv4: the server exited with status 0 before it printed
 * Wrong on purpose: an empty main. */
int main(void)
{
    return 0;
}
