# %% [markdown]
# # 4_semi_gradient_q_learning

# %%
print(1 + 1)
