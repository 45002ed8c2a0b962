/* PLACEHOLDER: the module owner replaces this with real tests. */
int main(void)
{
	return 77; /* automake: skipped */
}
