/* An object like a compiled mechanism's: it defines its registration
 * function. Compiled by the build; test_artifact checks and damages it. */
void _glia__fixture__Reg__0_reg(void);
void _glia__fixture__Reg__0_reg(void) {}
